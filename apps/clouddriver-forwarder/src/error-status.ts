import { StoreErrorCode } from '@event-cache/cache-store';

/**
 * Error codes this app throws on purpose, each with its HTTP status (one exhaustive switch). The
 * HTTP edge's own codes (`malformed_json`, `schema_violation`, `forbidden_key`,
 * `payload_too_large`, `not_found` ...) are the platform's (`PlatformErrorCode`).
 */
export enum AppErrorCode {
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
  switch (code as AppErrorCode | StoreErrorCode) {
    case AppErrorCode.UnknownSender:
      return 400;
    case AppErrorCode.UnknownOperation:
    case AppErrorCode.UnknownAgent:
      return 404;
    case AppErrorCode.ForwardFailed:
      return 502;
    case AppErrorCode.ClouddriverUnavailable:
    case StoreErrorCode.DatabaseUnavailable:
      return 503;
    case AppErrorCode.ForwardTimeout:
      return 504;
    default:
      return 500;
  }
}
