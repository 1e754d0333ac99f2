/** AWS error names and codes of throttling. */
export const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
  'EC2ThrottledException',
  'PriorRequestNotComplete',
]);

/**
 * Whether an error (or one it wraps) is AWS throttling: SDK v3 error names / codes such as
 * `ThrottlingException`, `RequestLimitExceeded`, `Throttling`, `TooManyRequestsException`, HTTP 429,
 * or the "Rate exceeded" message. Throttled runs back the account/region off instead of failing.
 */
export function isThrottlingError(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const err = e as {
      name?: unknown;
      code?: unknown;
      Code?: unknown;
      message?: unknown;
      $metadata?: { httpStatusCode?: unknown };
      $retryable?: { throttling?: unknown };
      cause?: unknown;
      errors?: unknown;
    };
    for (const code of [err.name, err.code, err.Code]) {
      if (typeof code === 'string' && THROTTLING_CODES.has(code)) return true;
    }
    if (err.$retryable?.throttling === true || err.$metadata?.httpStatusCode === 429) return true;
    if (typeof err.message === 'string' && /rate exceeded/i.test(err.message)) return true;
    if (Array.isArray(err.errors) && err.errors.some((inner) => isThrottlingError(inner))) return true;
    e = err.cause;
  }
  return false;
}

/** A short, single-line description of an error for run stats and refresh requests (never a stack). */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const name = error.name && error.name !== 'Error' ? `${error.name}: ` : '';
    return `${name}${error.message}`.split('\n')[0].slice(0, 500);
  }
  return String(error).split('\n')[0].slice(0, 500);
}
