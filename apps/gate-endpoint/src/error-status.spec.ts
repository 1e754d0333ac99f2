import { StoreErrorCode } from '@event-cache/cache-store';
import { REJECT_REASONS } from '@event-cache/events';
import { AppErrorCode, statusForErrorCode } from './error-status';

describe('statusForErrorCode', () => {
  it('gives every rejection reason and app code a 4xx/5xx status of its kind', () => {
    const statuses = Object.fromEntries(
      [...REJECT_REASONS, ...Object.values(AppErrorCode), ...Object.values(StoreErrorCode)].map((c) => [
        c,
        statusForErrorCode(c),
      ]),
    );
    expect(statuses).toMatchObject({
      payload_too_large: 413,
      malformed_json: 400,
      forbidden_key: 400,
      schema_violation: 400,
      unsupported_event: 400,
      invalid_signature: 403,
      untrusted_cert_url: 403,
      untrusted_subscribe_url: 403,
      unsupported_signature_version: 403,
      untrusted_topic: 403,
      message_too_old: 403,
      invalid_certificate: 403,
      certificate_unavailable: 503,
      unauthorized: 401,
      not_found: 404,
      no_agents_matched: 404,
      subscription_confirmation_failed: 502,
      database_unavailable: 503,
    });
    expect(Object.values(statuses).every((s) => s >= 400 && s < 600 && s !== 500)).toBe(true);
  });

  it('answers 500 for a code it does not know', () => {
    expect(statusForErrorCode('something_else')).toBe(500);
  });
});
