import { CodedError } from '@event-cache/platform';

export enum StoreErrorCode {
  /** The database cannot be reached or cannot take writes right now: try again shortly (503). */
  DatabaseUnavailable = 'database_unavailable',
}

/** What a client is told to wait before trying again while the database is unavailable. */
const RETRY_AFTER_SECONDS = 5;

/**
 * Whether an error says the database cannot be reached or cannot take writes right now (stopped,
 * restarting, hung, failed over to a read-only standby, out of connections), as opposed to a
 * statement it refused. What callers do with it: back off and try the same work again later.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return unavailable(error, 0);
}

/** Socket errors of a connection that could not be made or was cut. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** SQLSTATEs beyond class 08 (connection exception) that mean "not now", not "never". */
const UNAVAILABLE_STATES = new Set([
  '57P01', // admin_shutdown: terminated by a shutdown or pg_terminate_backend
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
  '53300', // too_many_connections
  '25006', // read_only_sql_transaction: a standby, e.g. during a failover
  '57014', // query_canceled: statement_timeout, a database too slow to answer
]);

/** What pg and pg-pool say when a connection cannot be made, dies, or a query gets no answer in time. */
const DRIVER_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'is not queryable',
  'the database system is',
];

function unavailable(error: unknown, depth: number): boolean {
  if (depth > 3 || error === null || typeof error !== 'object') return false;
  const { code, message, driverError, cause, errors } = error as {
    code?: unknown;
    message?: unknown;
    driverError?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  if (typeof message === 'string' && DRIVER_MESSAGES.some((m) => message.includes(m))) return true;
  // TypeORM wraps driver errors; Node wraps the per-address errors of one connect in an AggregateError.
  return (
    unavailable(driverError, depth + 1) ||
    unavailable(cause, depth + 1) ||
    (Array.isArray(errors) && errors.some((e) => unavailable(e, depth + 1)))
  );
}

/**
 * The coded error an HTTP service answers for a database outage (`ServiceDefinition.translateError`):
 * 503 `database_unavailable` with Retry-After, instead of a 500 logged as a bug. Undefined for
 * any other error.
 */
export function databaseUnavailableError(error: unknown): CodedError | undefined {
  if (!isDatabaseUnavailable(error)) return undefined;
  return new CodedError(
    StoreErrorCode.DatabaseUnavailable,
    'the database is unavailable; try again shortly',
    { retryAfterSeconds: RETRY_AFTER_SECONDS },
  );
}
