import {
  type CanActivate,
  Body,
  Controller,
  Injectable,
  type INestApplication,
  Module,
  Post,
  Req,
  UseGuards,
} from '@nestjs/common';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Request } from 'express';
import { slowUpload } from '@event-cache/testing';
import { loadConfig } from '../config/config.loader';
import { CodedError } from '../errors/coded-error';
import { PlatformModule } from '../platform.module';
import { startHttpService } from './bootstrap-http';
import { readBody, ReadsOwnBody } from './request-body';

@Injectable()
class NobodyGuard implements CanActivate {
  canActivate(): boolean {
    throw new CodedError('unauthorized', 'nobody may');
  }
}

@Controller()
class EdgeController {
  @Post('json')
  json(@Body() body: unknown): unknown {
    return { received: body ?? null };
  }

  @Post('guarded')
  @UseGuards(NobodyGuard)
  guarded(@Body() body: unknown): unknown {
    return body;
  }

  @Post('own')
  @ReadsOwnBody()
  async own(@Req() req: Request): Promise<{ bytes: number }> {
    return { bytes: (await readBody(req, 2 * 1024)).length };
  }
}

const LIMITS = {
  headersTimeoutMs: 1_000,
  requestTimeoutMs: 1_000,
  keepAliveTimeoutMs: 1_000,
  maxConnections: 3,
};

/** The platform's HTTP edge, on a real server: bodies, error shapes, server limits. */
describe('HTTP edge (startHttpService)', () => {
  let app: INestApplication;
  let baseUrl: string;
  let port: number;

  beforeAll(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'http-edge-')), 'config.yaml');
    writeFileSync(file, `http: ${JSON.stringify(LIMITS)}\n`);
    const config = loadConfig('gate-endpoint', {
      EVENT_CACHE_CONFIG: file,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
    });
    @Module({ imports: [PlatformModule.forRoot(config, { checks: [] })], controllers: [EdgeController] })
    class EdgeModule {}
    app = await startHttpService({
      module: EdgeModule,
      config,
      statusFor: () => 500,
      openApi: { title: 'edge', description: 'test' },
      jsonLimitBytes: 1024,
    });
    baseUrl = await app.getUrl();
    port = Number(new URL(baseUrl).port);
  });
  afterAll(() => app?.close());

  const post = async (path: string, body: string | Buffer, headers: Record<string, string>) => {
    const res = await fetch(new URL(path, baseUrl), { method: 'POST', body, headers });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  describe('request bodies', () => {
    it('parses JSON bodies and refuses malformed, compressed or non-UTF-8 ones with a code', async () => {
      const json = { 'content-type': 'application/json' };
      expect(await post('/json', '{"a":1}', json)).toEqual({ status: 201, body: { received: { a: 1 } } });
      expect(await post('/json', 'a=1', { 'content-type': 'text/plain' })).toEqual({
        status: 201,
        body: { received: null },
      });
      expect(await post('/json', '{"a": "hunter2"', json)).toEqual({
        status: 400,
        body: { error: 'malformed_json', message: 'the body is not valid JSON' },
      });
      expect(await post('/json', '"just a string"', json)).toMatchObject({
        body: { error: 'malformed_json' },
      });
      expect(await post('/json', '{}', { 'content-type': 'application/json; charset=latin1' })).toMatchObject(
        {
          status: 415,
          body: { error: 'unsupported_media_type' },
        },
      );
      expect(await post('/json', '{}', { ...json, 'content-encoding': 'gzip' })).toMatchObject({
        status: 415,
        body: { error: 'unsupported_media_type' },
      });
    });

    it('runs the guards before reading the body: a refused caller is answered while it still sends', async () => {
      const answer = await slowUpload(baseUrl, {
        path: '/guarded',
        send: 16 * 1024,
        declaredLength: 1024 * 1024,
      });
      expect(answer).toMatchObject({ status: 401, body: { error: 'unauthorized', message: 'nobody may' } });
      // ... and the rest of its body is not read either: the connection ends with the answer.
      expect(answer.headers.connection).toBe('close');
    });

    it('stops reading at the limit, announced or streamed, and closes the connection', async () => {
      for (const [path, declaredLength] of [
        ['/json', 4 * 1024],
        ['/json', undefined],
        ['/own', undefined],
      ] as const) {
        const answer = await slowUpload(baseUrl, { path, send: 8 * 1024, declaredLength });
        expect({ path, declaredLength, status: answer.status, body: answer.body }).toEqual({
          path,
          declaredLength,
          status: 413,
          body: { error: 'payload_too_large', message: expect.any(String) },
        });
        expect(answer.headers.connection).toBe('close');
      }
      expect(await post('/own', 'x'.repeat(100), { 'content-type': 'text/plain' })).toEqual({
        status: 201,
        body: { bytes: 100 },
      });
    });
  });

  describe('server limits (http.*)', () => {
    /** A raw connection: what the server sends, and when it closes it. */
    const open = (): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> =>
      new Promise((resolve, reject) => {
        let text = '';
        const socket = connect(port, '127.0.0.1');
        const closed = new Promise<void>((done) => socket.on('close', () => done()));
        socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
        socket.on('error', () => undefined); // a reset is one way of being closed
        socket.once('connect', () => resolve({ socket, received: () => text, closed }));
        socket.once('error', reject);
      });

    it('cuts off a client that never finishes its request head, or its body (408)', async () => {
      const slowHead = await open();
      slowHead.socket.write('POST /json HTTP/1.1\r\nHost: x\r\n');
      const slowBody = await open();
      slowBody.socket.write(
        'POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a"',
      );
      await Promise.all([slowHead.closed, slowBody.closed]);
      expect(slowHead.received()).toMatch(/^HTTP\/1\.1 408 /);
      expect(slowBody.received()).toMatch(/^HTTP\/1\.1 408 /);
    });

    it('closes idle keep-alive connections', async () => {
      const idle = await open();
      idle.socket.write('GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n');
      await idle.closed;
      expect(idle.received()).toMatch(/^HTTP\/1\.1 200 /);
    });

    it('refuses connections over http.maxConnections, and serves again once they close', async () => {
      const held = await Promise.all(Array.from({ length: LIMITS.maxConnections }, () => open()));
      try {
        const extra = await open();
        await extra.closed;
        expect(extra.received()).toBe('');
      } finally {
        for (const c of held) c.socket.destroy();
        await Promise.all(held.map((c) => c.closed));
      }
      expect((await fetch(new URL('/health/live', baseUrl))).status).toBe(200);
    });
  });
});
