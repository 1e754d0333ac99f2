import { StoreErrorCode } from '@event-cache/cache-store';
import type { RejectReason } from '@event-cache/events';

/** Error codes this app throws on purpose (besides libs/events' rejection reasons). */
export enum AppErrorCode {
  BadRequest = 'bad_request',
  NotFound = 'not_found',
  Unauthorized = 'unauthorized',
  /** An admin change whose match selected no agent (likely a typo). */
  NoAgentsMatched = 'no_agents_matched',
  /** A Clouddriver projection rebuild is already running (here or on another replica). */
  RebuildRunning = 'rebuild_running',
  /** The Clouddriver cache projection is not enabled (clouddriver.cache.enabled). */
  ProjectionDisabled = 'projection_disabled',
  /** SNS subscription confirmation: the GET of SubscribeURL failed (SNS retries on 5xx). */
  SubscriptionConfirmationFailed = 'subscription_confirmation_failed',
}

export type ErrorCode = AppErrorCode | StoreErrorCode | RejectReason;

/** One exhaustive switch from every code this app can throw to its HTTP status. */
export function statusForErrorCode(code: string): number {
  const known = code as ErrorCode;
  switch (known) {
    case AppErrorCode.BadRequest:
    case 'malformed_json':
    case 'forbidden_key':
    case 'schema_violation':
    case 'unsupported_event':
    case 'unknown_account':
      return 400;
    case AppErrorCode.Unauthorized:
      return 401;
    case 'invalid_signature':
    case 'untrusted_cert_url':
    case 'untrusted_subscribe_url':
    case 'unsupported_signature_version':
    case 'untrusted_topic':
    case 'message_too_old':
    case 'invalid_certificate':
      return 403;
    case AppErrorCode.NotFound:
    case AppErrorCode.NoAgentsMatched:
      return 404;
    case 'duplicate':
    case AppErrorCode.RebuildRunning:
      return 409;
    case AppErrorCode.ProjectionDisabled:
      return 404;
    case 'payload_too_large':
      return 413;
    case AppErrorCode.SubscriptionConfirmationFailed:
      return 502;
    case 'certificate_unavailable':
    case StoreErrorCode.DatabaseUnavailable:
      return 503;
    default: {
      // Compile-time: every code above is handled. Run time: an unknown code is a 500.
      const unhandled: never = known;
      void unhandled;
      return 500;
    }
  }
}
