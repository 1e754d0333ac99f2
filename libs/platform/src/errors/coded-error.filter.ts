import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  type LoggerService,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Response } from 'express';
import { CodedError } from './coded-error';

/** Maps a coded error to an HTTP status; each app writes one exhaustive switch. */
export type StatusForCode = (code: string) => number;

/**
 * The one error filter of an HTTP app: coded errors become `{error: code, message}` with the
 * app's status (and `Retry-After` when `details.retryAfterSeconds` says when to retry); Nest HTTP
 * exceptions pass through; anything else is a 500 carrying an error id, logged once with its stack.
 */
@Catch()
export class CodedErrorFilter implements ExceptionFilter {
  constructor(
    private readonly statusFor: StatusForCode,
    private readonly logger: LoggerService,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof CodedError) {
      const { code, message, details } = exception as CodedError;
      // "Unavailable, try again later" errors say when: `details.retryAfterSeconds` -> Retry-After.
      const retryAfter = details?.retryAfterSeconds;
      if (typeof retryAfter === 'number' && Number.isInteger(retryAfter) && retryAfter > 0)
        res.setHeader('Retry-After', String(retryAfter));
      res.status(this.statusFor(code)).json({ error: code, message });
      return;
    }
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      res
        .status(exception.getStatus())
        .json(typeof body === 'string' ? { error: body, message: body } : body);
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

/**
 * A 4xx the HTTP stack raised before any handler ran (body-parser's `http-errors`: body too large,
 * unsupported charset, aborted request ...). They mark themselves `expose: true`: their message is
 * meant for the client. Anything else is not a client error.
 */
function clientErrorOf(exception: unknown): { status: number; code: string; message: string } | undefined {
  if (exception === null || typeof exception !== 'object') return undefined;
  const { status, expose, type, message } = exception as {
    status?: unknown;
    expose?: unknown;
    type?: unknown;
    message?: unknown;
  };
  if (expose !== true || typeof status !== 'number' || status < 400 || status > 499) return undefined;
  const code = status === 413 || type === 'entity.too.large' ? 'payload_too_large' : 'bad_request';
  return { status, code, message: typeof message === 'string' ? message : 'Bad request' };
}
