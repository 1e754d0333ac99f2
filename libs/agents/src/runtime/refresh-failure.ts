import { THROTTLING_CODES } from './throttling';

/** Why a refresh failed, for whoever waits on it: a stable code and what to do about it. */
export interface RefreshFailure {
  code:
    | 'aws_throttled'
    | 'aws_access_denied'
    | 'aws_unreachable'
    | 'aws_error'
    | 'unsupported_type'
    | 'invalid_request'
    | 'refresh_failed';
  message: string;
}

const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'AuthFailure',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'OptInRequired',
  'SignatureDoesNotMatch',
  'UnauthorizedOperation',
  'UnrecognizedClientException',
]);
const NETWORK =
  /\b(?:ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|socket hang up)\b/;
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'NetworkingError']);
/** JavaScript's own error names: they say nothing an operator can act on. */
const JS_ERRORS = new Set([
  'Error',
  'TypeError',
  'RangeError',
  'SyntaxError',
  'ReferenceError',
  'AbortError',
]);

/**
 * Explains a refresh request's recorded error (`<ErrorName>: <message>` as the refresh worker and
 * the refreshers record it) without repeating it: the raw text can hold internal addresses, ARNs
 * and hosts, which stay in the caching-agents log; callers get a code and an operator's reason.
 */
export function explainRefreshFailure(recorded: string): RefreshFailure {
  const name = /^([A-Za-z][\w.]*):/.exec(recorded)?.[1];
  if ((name && THROTTLING_CODES.has(name)) || /rate exceeded/i.test(recorded)) {
    return {
      code: 'aws_throttled',
      message:
        'AWS throttled the reads of this account and region on every attempt (agents.refresh.maxAttempts); ask again once the throttling eases',
    };
  }
  if ((name && ACCESS_DENIED.has(name)) || /is not authorized to perform/.test(recorded)) {
    return {
      code: 'aws_access_denied',
      message: `AWS refused the read${name ? ` (${name})` : ''}: check the caching-agents IAM role and the account's assumeRole, and that its credentials are valid`,
    };
  }
  if ((name && NETWORK_NAMES.has(name)) || NETWORK.test(recorded)) {
    return {
      code: 'aws_unreachable',
      message:
        'caching-agents could not reach the AWS API: check its network, DNS, proxy and aws.endpoint settings (details in its log)',
    };
  }
  if (recorded.startsWith('no refresher serves')) {
    return { code: 'unsupported_type', message: 'no caching agent refreshes this type' };
  }
  if (/^(?:target|no target)\b/.test(recorded)) {
    return { code: 'invalid_request', message: 'the refresh request names nothing that can be read' };
  }
  if (name && !JS_ERRORS.has(name)) {
    return {
      code: 'aws_error',
      message: `the AWS read failed with ${name} on every attempt (details in the caching-agents log)`,
    };
  }
  return {
    code: 'refresh_failed',
    message: 'the refresh failed on every attempt (details in the caching-agents log)',
  };
}
