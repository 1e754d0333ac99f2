/** Error codes this app's libs throw on purpose, each with its HTTP status (one exhaustive switch). */
export enum AppErrorCode {
  BadRequest = 'bad_request',
  NotFound = 'not_found',
  Unauthorized = 'unauthorized',
  /** The body is not JSON. */
  MalformedJson = 'malformed_json',
  /** The body is JSON of the wrong shape. */
  SchemaViolation = 'schema_violation',
  /** `__proto__`, `constructor` or `prototype` keys. */
  ForbiddenKey = 'forbidden_key',
  PayloadTooLarge = 'payload_too_large',
  /** An operation cannot be routed: it says neither who sent it nor comes from a known pod. */
  UnknownSender = 'unknown_sender',
  /** An operation result whose operation was never forwarded (or long ago). */
  UnknownOperation = 'unknown_operation',
  UnknownAgent = 'unknown_agent',
  /** The owning Clouddriver instance is unknown, not ready or gone (with Retry-After). */
  ClouddriverUnavailable = 'clouddriver_unavailable',
  /** The Clouddriver instance could not be reached or answered unusably. */
  ForwardFailed = 'forward_failed',
  /** The Clouddriver instance did not answer in time. */
  ForwardTimeout = 'forward_timeout',
}

export function statusForErrorCode(code: string): number {
  switch (code as AppErrorCode) {
    case AppErrorCode.BadRequest:
    case AppErrorCode.MalformedJson:
    case AppErrorCode.SchemaViolation:
    case AppErrorCode.ForbiddenKey:
    case AppErrorCode.UnknownSender:
      return 400;
    case AppErrorCode.Unauthorized:
      return 401;
    case AppErrorCode.NotFound:
    case AppErrorCode.UnknownOperation:
    case AppErrorCode.UnknownAgent:
      return 404;
    case AppErrorCode.PayloadTooLarge:
      return 413;
    case AppErrorCode.ForwardFailed:
      return 502;
    case AppErrorCode.ClouddriverUnavailable:
      return 503;
    case AppErrorCode.ForwardTimeout:
      return 504;
    default:
      return 500;
  }
}
