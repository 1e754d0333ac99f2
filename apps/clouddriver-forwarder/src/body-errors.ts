import type { NextFunction, Request, Response } from 'express';
import { CodedError } from '@event-cache/platform';
import { AppErrorCode } from './error-status';

/**
 * Express error middleware placed right after the JSON body parser: its failures become coded
 * errors with the reason codes of docs/architecture.md#bad-input-and-faults (400 `malformed_json`, 413 `payload_too_large`) instead of
 * a bare 400 and a 500.
 */
export function bodyParserErrors(err: unknown, _req: Request, _res: Response, next: NextFunction): void {
  const { type, limit } = (err ?? {}) as { type?: unknown; limit?: unknown };
  if (type === 'entity.parse.failed') {
    next(new CodedError(AppErrorCode.MalformedJson, 'the body is not valid JSON'));
  } else if (type === 'entity.too.large') {
    const bytes = typeof limit === 'number' ? ` (${limit} bytes)` : '';
    next(new CodedError(AppErrorCode.PayloadTooLarge, `the body is larger than the limit${bytes}`));
  } else {
    next(err);
  }
}
