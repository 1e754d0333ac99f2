/** Codes for programmer / configuration errors. Bad *input* never throws: it becomes a `Rejection`. */
export enum EventsErrorCode {
  INVALID_ACCOUNT_CONFIG = 'EVENTS_INVALID_ACCOUNT_CONFIG',
  INVALID_SNS_CONFIG = 'EVENTS_INVALID_SNS_CONFIG',
}

export class EventsError extends Error {
  constructor(
    readonly code: EventsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EventsError';
  }
}
