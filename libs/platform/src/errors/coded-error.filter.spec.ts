import type { ArgumentsHost, LoggerService } from '@nestjs/common';
import { BadRequestException, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { CodedError } from './coded-error';
import { CodedErrorFilter } from './coded-error.filter';

function run(
  exception: unknown,
  req: object = { route: { path: '/x' } },
  translate?: (e: unknown) => CodedError | undefined,
) {
  const sent: { status?: number; body?: unknown; headers?: Record<string, string> } = {};
  const res = {
    setHeader(name: string, value: string) {
      sent.headers = { ...sent.headers, [name]: value };
    },
    status(code: number) {
      sent.status = code;
      return this;
    },
    json(body: unknown) {
      sent.body = body;
    },
  };
  const host = {
    switchToHttp: () => ({ getResponse: () => res, getRequest: () => req }),
  } as unknown as ArgumentsHost;
  const logged: unknown[] = [];
  const logger = { error: (m: unknown) => logged.push(m) } as unknown as LoggerService;
  const statusFor = (code: string) => ({ payload_too_large: 413, database_unavailable: 503 })[code] ?? 500;
  new CodedErrorFilter(statusFor, logger, translate).catch(exception, host);
  return { ...sent, logged };
}

describe('CodedErrorFilter', () => {
  it("answers a coded error with the app's status and the code", () => {
    expect(run(new CodedError('payload_too_large', 'body over 256 KiB'))).toEqual({
      status: 413,
      body: { error: 'payload_too_large', message: 'body over 256 KiB' },
      logged: [],
    });
  });

  it('says when to retry a coded error that carries retryAfterSeconds', () => {
    const unavailable = new CodedError('clouddriver_unavailable', 'owner not ready', {
      retryAfterSeconds: 5,
    });
    expect(run(unavailable)).toMatchObject({ status: 500, headers: { 'Retry-After': '5' } });
    expect(
      run(new CodedError('clouddriver_unavailable', 'x', { retryAfterSeconds: 'soon' })),
    ).not.toHaveProperty('headers');
  });

  it('answers an error the app translates as that coded error, not as a 500', () => {
    const outage = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const translate = (e: unknown) =>
      (e as { code?: string }).code === 'ECONNREFUSED'
        ? new CodedError('database_unavailable', 'try again shortly', { retryAfterSeconds: 5 })
        : undefined;
    expect(run(outage, undefined, translate)).toEqual({
      status: 503,
      headers: { 'Retry-After': '5' },
      body: { error: 'database_unavailable', message: 'try again shortly' },
      logged: [],
    });
    expect(run(new Error('a bug'), undefined, translate)).toMatchObject({ status: 500 });
  });

  it("answers Nest's own HTTP exceptions as {error, message}, without quoting the request", () => {
    expect(run(new NotFoundException('no such agent'))).toMatchObject({
      status: 404,
      body: { error: 'not_found', message: 'no such agent' },
    });
    // No route matched: Nest's message names the method and path.
    const unmatched = run(new NotFoundException('Cannot GET /x?token=abc'), {});
    expect(unmatched).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect(JSON.stringify(unmatched.body)).not.toContain('token');
    expect(run(new BadRequestException(`Unexpected token 'p', "password=x" is not valid JSON`))).toEqual({
      status: 400,
      body: { error: 'bad_request', message: 'the request was refused' },
      logged: [],
    });
  });

  it('passes a body a handler chose through (the readiness report)', () => {
    const report = { status: 'error', info: {}, error: { database: { status: 'down' } }, details: {} };
    expect(run(new ServiceUnavailableException(report))).toMatchObject({ status: 503, body: report });
  });

  it('answers platform codes with their own status, whatever the app maps', () => {
    expect(run(new CodedError('malformed_path', 'x'))).toMatchObject({ status: 400 });
    expect(run(new CodedError('unsupported_media_type', 'x'))).toMatchObject({ status: 415 });
    expect(run(new CodedError('no_such_thing', 'x'))).toMatchObject({ status: 500 });
  });

  it("answers the HTTP stack's own client errors (body too large) with their status, unlogged", () => {
    const tooLarge = Object.assign(new Error('request entity too large'), {
      status: 413,
      expose: true,
      type: 'entity.too.large',
    });
    expect(run(tooLarge)).toMatchObject({
      status: 413,
      body: { error: 'payload_too_large', message: 'request entity too large' },
      logged: [],
    });
    const unexposed = Object.assign(new Error('db says no'), { status: 400, expose: false });
    expect(run(unexposed).status).toBe(500);
  });

  it('hides unknown errors behind a 500 with an error id, logged once with the stack', () => {
    const out = run(new Error('connection string postgres://u:secret@db'));
    expect(out.status).toBe(500);
    const body = out.body as { error: string; errorId: string; message: string };
    expect(body).toEqual({ error: 'internal_error', message: 'Internal error', errorId: expect.any(String) });
    expect(JSON.stringify(body)).not.toContain('secret');
    expect(out.logged).toHaveLength(1);
    expect(JSON.stringify(out.logged[0])).toContain(body.errorId);
  });
});
