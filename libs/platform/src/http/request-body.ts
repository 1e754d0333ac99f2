import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  SetMetadata,
} from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { CodedError } from '../errors/coded-error';

/** Every body is bounded at 256 KiB (docs/architecture.md#bad-input-and-faults). */
export const DEFAULT_BODY_LIMIT_BYTES = 256 * 1024;

const READS_OWN_BODY = 'event-cache:reads-own-body';

/**
 * Marks a handler that reads its request body itself with `readBody` (raw bytes, whatever the
 * content type, e.g. SNS posting JSON as text/plain): the JSON body reader leaves it alone.
 */
export const ReadsOwnBody = () => SetMetadata(READS_OWN_BODY, true);

/** Whether a body follows the request head at all (a length above 0, or chunked). */
export function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Reads a request body as bytes, at most `limitBytes`: an announced `Content-Length` over the
 * limit is refused before a byte is read, and a body that grows past it while streaming stops
 * being read at once (413 `payload_too_large`; the connection is closed after the answer rather
 * than drained). Compressed bodies are refused (415 `unsupported_media_type`): their size says
 * nothing about what they inflate to. Never call it twice for one request.
 */
export function readBody(req: Request, limitBytes: number): Promise<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity') {
    return Promise.reject(
      new CodedError(
        'unsupported_media_type',
        'compressed bodies are not accepted: send it without Content-Encoding',
      ),
    );
  }
  const tooLarge = () => {
    // What is left of the body is not read: the answer ends the connection instead.
    req.res?.setHeader('Connection', 'close');
    return new CodedError('payload_too_large', `the body is larger than ${limitBytes} bytes`);
  };
  const announced = Number(req.headers['content-length'] ?? 0);
  if (announced > limitBytes) return Promise.reject(tooLarge());
  if (!hasBody(req)) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const done = (error?: Error) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (error) {
        req.pause();
        reject(error);
      } else {
        resolve(Buffer.concat(chunks, received));
      }
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limitBytes) done(tooLarge());
      else chunks.push(chunk);
    };
    const onEnd = () => done();
    const onError = () => done(new CodedError('bad_request', 'the request body could not be read'));
    const onAborted = () => done(new CodedError('bad_request', 'the client aborted the request body'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;

/**
 * The JSON body of a request (docs/architecture.md#bad-input-and-faults), read after the guards:
 * an unauthenticated caller is answered before a byte of its body is read. Only `application/json` (and `+json`) bodies in
 * UTF-8 are parsed (other content types leave `req.body` undefined, as before); the body is read
 * with `readBody` (bounded while streaming) and must be a JSON object or array (400
 * `malformed_json`, without quoting it). Handlers marked `@ReadsOwnBody()` are skipped.
 */
@Injectable()
export class JsonBodyInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly limitBytes: number = DEFAULT_BODY_LIMIT_BYTES,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<Request>();
    if (this.reflector.get<boolean>(READS_OWN_BODY, context.getHandler()) || !hasBody(req)) {
      return next.handle();
    }
    const [type, ...params] = (req.headers['content-type'] ?? '').split(';').map((p) => p.trim());
    if (!JSON_TYPE.test(type)) return next.handle();
    const charset = params
      .find((p) => /^charset=/i.test(p))
      ?.slice('charset='.length)
      .replace(/"/g, '');
    if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
      throw new CodedError('unsupported_media_type', 'JSON bodies must be UTF-8');
    }
    req.body = parseJson(await readBody(req, this.limitBytes));
    return next.handle();
  }
}

function parseJson(bytes: Buffer): unknown {
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  if (text.trim() === '') return {};
  // Like Express's parser in strict mode: a body is an object or an array.
  if (!/^\s*[[{]/.test(text)) throw malformed();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw malformed();
  }
}

const malformed = () => new CodedError('malformed_json', 'the body is not valid JSON');
