/**
 * Reason codes for input the library refuses (docs/architecture.md#bad-input-and-faults). Every entry point returns one of these
 * instead of throwing; apps count them in metrics and map them to HTTP statuses / SQS handling.
 */
export const REJECT_REASONS = [
  /** Body larger than the configured limit (256 KiB by default), measured in UTF-8 bytes before parsing. */
  'payload_too_large',
  /** Not JSON, or not valid UTF-8. */
  'malformed_json',
  /** A `__proto__`, `constructor` or `prototype` key somewhere in the document. */
  'forbidden_key',
  /** Valid JSON with the wrong shape: missing field, wrong type, value out of range. */
  'schema_violation',
  /** Understood envelope, content we do not act on (e.g. an SNS message that is not JSON). */
  'unsupported_event',
  /** Event from an AWS account that is not configured (emitted by decide() as an ignore reason). */
  'unknown_account',
  /** Second copy of an event already in the inbox (emitted by the apps, listed here for one vocabulary). */
  'duplicate',
  /** SNS signature does not verify against the signing certificate. */
  'invalid_signature',
  /** SNS `SigningCertURL` is not https on the SNS endpoint of the topic's region or does not end in `.pem`. */
  'untrusted_cert_url',
  /** SNS `SubscribeURL` is not https on the SNS endpoint of the topic's region. */
  'untrusted_subscribe_url',
  /** SNS `SignatureVersion` other than 2, or 1 while it is allowed. */
  'unsupported_signature_version',
  /** SNS `TopicArn` not in the configured allowlist. */
  'untrusted_topic',
  /** SNS `Timestamp` older than `maxMessageAgeSeconds`. */
  'message_too_old',
  /**
   * The signing certificate could not be parsed, is not RSA (2048 bits or more), is a CA, is not
   * issued to SNS (or by a pinned issuer), or is outside its validity period.
   */
  'invalid_certificate',
  /** The signing certificate could not be fetched. The only transient reason: retrying may succeed. */
  'certificate_unavailable',
] as const;

export type RejectReason = (typeof REJECT_REASONS)[number];

export interface Accepted<T> {
  readonly ok: true;
  readonly value: T;
}

export interface Rejection {
  readonly ok: false;
  readonly reason: RejectReason;
  /** Human-readable detail: names the offending field, never echoes its value. */
  readonly message: string;
  /** EventBridge `id` / SNS `MessageId` when it could be read before the input was refused. */
  readonly eventId?: string;
}

export type ParseResult<T> = Accepted<T> | Rejection;

export function accepted<T>(value: T): Accepted<T> {
  return { ok: true, value };
}

export function rejected(reason: RejectReason, message: string, eventId?: string): Rejection {
  return eventId === undefined ? { ok: false, reason, message } : { ok: false, reason, message, eventId };
}

/**
 * True when retrying the same input may succeed (today only `certificate_unavailable`). Every other
 * reason is permanent: an SQS message rejected for it should be deleted, an HTTP caller told 4xx.
 */
export function isTransientRejection(reason: RejectReason): boolean {
  return reason === 'certificate_unavailable';
}
