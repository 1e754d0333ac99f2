import { StoreErrorCode } from '@event-cache/cache-store';

/** Error codes this app's libs throw on purpose, each with its HTTP status (one exhaustive switch). */
export enum AppErrorCode {
  BadRequest = 'bad_request',
  NotFound = 'not_found',
  Unauthorized = 'unauthorized',
}

export function statusForErrorCode(code: string): number {
  switch (code as AppErrorCode | StoreErrorCode) {
    case AppErrorCode.BadRequest:
      return 400;
    case AppErrorCode.Unauthorized:
      return 401;
    case AppErrorCode.NotFound:
      return 404;
    case StoreErrorCode.DatabaseUnavailable:
      return 503;
    default:
      return 500;
  }
}
