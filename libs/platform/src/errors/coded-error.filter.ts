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
 * app's status; Nest HTTP exceptions pass through; anything else is a 500 carrying an error id,
 * logged once with its stack.
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
      const { code, message } = exception as CodedError;
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
