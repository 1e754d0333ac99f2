import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  type LoggerService,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { CodedError } from './coded-error';

/** Maps a coded error to an HTTP status; each app writes one exhaustive switch. */
export type StatusForCode = (code: string) => number;

/** Recognizes a library's own error (e.g. a database outage) and says which coded error it is. */
export type TranslateError = (exception: unknown) => CodedError | undefined;

/**
 * Codes the platform itself throws (the HTTP edge: bodies, paths, routes, request inputs), with
 * their statuses. They mean the same in every app, so no app has to map them.
 */
export enum PlatformErrorCode {
  BadRequest = 'bad_request',
  MalformedJson = 'malformed_json',
  /** A path whose percent-encoding does not decode. */
  MalformedPath = 'malformed_path',
  SchemaViolation = 'schema_violation',
  ForbiddenKey = 'forbidden_key',
  Unauthorized = 'unauthorized',
  Forbidden = 'forbidden',
  /** No route for this method and path. */
  NotFound = 'not_found',
  PayloadTooLarge = 'payload_too_large',
  UnsupportedMediaType = 'unsupported_media_type',
  Unavailable = 'unavailable',
  InternalError = 'internal_error',
}

/** Each platform code's status (a Record: the compiler sees that every code has one). */
const PLATFORM_STATUS: Record<PlatformErrorCode, number> = {
  [PlatformErrorCode.BadRequest]: 400,
  [PlatformErrorCode.MalformedJson]: 400,
  [PlatformErrorCode.MalformedPath]: 400,
  [PlatformErrorCode.SchemaViolation]: 400,
  [PlatformErrorCode.ForbiddenKey]: 400,
  [PlatformErrorCode.Unauthorized]: 401,
  [PlatformErrorCode.Forbidden]: 403,
  [PlatformErrorCode.NotFound]: 404,
  [PlatformErrorCode.PayloadTooLarge]: 413,
  [PlatformErrorCode.UnsupportedMediaType]: 415,
  [PlatformErrorCode.InternalError]: 500,
  [PlatformErrorCode.Unavailable]: 503,
};

export function platformStatusFor(code: string): number | undefined {
  return Object.prototype.hasOwnProperty.call(PLATFORM_STATUS, code)
    ? PLATFORM_STATUS[code as PlatformErrorCode]
    : undefined;
}

/** The platform code of a status Nest or the HTTP stack answered with (the first code of that status). */
function codeForStatus(status: number): PlatformErrorCode {
  const code = (Object.keys(PLATFORM_STATUS) as PlatformErrorCode[]).find(
    (c) => PLATFORM_STATUS[c] === status,
  );
  return code ?? (status < 500 ? PlatformErrorCode.BadRequest : PlatformErrorCode.InternalError);
}

/**
 * The one error filter of an HTTP app; every error answers `{error: code, message}`:
 * - coded errors with the platform's status for platform codes, else the app's (and `Retry-After`
 *   when `details.retryAfterSeconds` says when to retry), errors `translate` recognizes (a lib's
 *   own, e.g. the store's database outage) as the coded error it names;
 * - Nest's own HTTP exceptions (no route: 404 `not_found`) by their status, without the path or
 *   body they may quote; a handler's own response body (the readiness report) passes through;
 * - the HTTP stack's own client errors (`expose: true`) by their status;
 * - anything else is a 500 carrying an error id, logged once with its stack.
 */
@Catch()
export class CodedErrorFilter implements ExceptionFilter {
  constructor(
    private readonly statusFor: StatusForCode,
    private readonly logger: LoggerService,
    private readonly translate: TranslateError = () => undefined,
  ) {}

  catch(thrown: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const res = http.getResponse<Response>();
    // Refused before its body was read (a guard, a limit): end the connection after the answer
    // rather than read and discard the rest of that body.
    if (http.getRequest<Request | undefined>()?.complete === false) res.setHeader('Connection', 'close');
    const exception = this.translate(thrown) ?? thrown;
    if (exception instanceof CodedError) {
      const { code, message, details } = exception as CodedError;
      // "Unavailable, try again later" errors say when: `details.retryAfterSeconds` -> Retry-After.
      const retryAfter = details?.retryAfterSeconds;
      if (typeof retryAfter === 'number' && Number.isInteger(retryAfter) && retryAfter > 0)
        res.setHeader('Retry-After', String(retryAfter));
      res.status(platformStatusFor(code) ?? this.statusFor(code)).json({ error: code, message });
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      if (isNestDefaultBody(body)) {
        const req = http.getRequest<Request | undefined>();
        res.status(status).json(nestErrorBody(status, exception.message, req));
      } else {
        res.status(status).json(body);
      }
      return;
    }
    const clientError = clientErrorOf(exception);
    if (clientError) {
      res.status(clientError.status).json({ error: clientError.code, message: clientError.message });
      return;
    }
    const errorId = randomUUID();
    this.logger.error(
      {
        msg: 'unhandled error',
        errorId,
        err:
          exception instanceof Error
            ? { message: exception.message, stack: exception.stack }
            : String(exception),
      },
      'CodedErrorFilter',
    );
    res.status(500).json({ error: 'internal_error', message: 'Internal error', errorId });
  }
}

/** Nest's built-in `{statusCode, message, error?}` (or a bare string): not a body a handler chose. */
function isNestDefaultBody(body: unknown): boolean {
  return typeof body === 'string' || (typeof body === 'object' && body !== null && 'statusCode' in body);
}

function nestErrorBody(status: number, message: string, req: Request | undefined) {
  const code = codeForStatus(status);
  // No route matched: Nest's message quotes the method and path; say what to do instead.
  if (status === 404 && req && req.route === undefined) {
    return { error: code, message: 'no route for this method and path (routes: /api-docs)' };
  }
  // Messages Nest builds itself may quote the input: keep only its generic ones.
  return { error: code, message: /^[\w ]{1,60}$/.test(message) ? message : 'the request was refused' };
}

/**
 * A 4xx the HTTP stack raised before any handler ran (`http-errors`: aborted request ...). They
 * mark themselves `expose: true`: their message is meant for the client. Anything else is not a
 * client error.
 */
function clientErrorOf(exception: unknown): { status: number; code: string; message: string } | undefined {
  if (exception === null || typeof exception !== 'object') return undefined;
  const { status, expose, message } = exception as { status?: unknown; expose?: unknown; message?: unknown };
  if (expose !== true || typeof status !== 'number' || status < 400 || status > 499) return undefined;
  return {
    status,
    code: codeForStatus(status),
    message: typeof message === 'string' ? message : 'Bad request',
  };
}
