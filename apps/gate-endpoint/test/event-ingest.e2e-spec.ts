import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { startService } from '@event-cache/platform';
import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import { service } from '../src/service';
import { API_KEY, call, event, FIXTURES, fixture, signedSns, writeConfig } from './support';

interface InboxRow {
  event_id: string;
  channel: string;
  outcome: string;
  duplicate_count: number;
  payload: { event: { id: string; kind: string }; format: string; sns?: { messageId: string } };
}

describe('gate-endpoint: SNS and EventBridge endpoints into the inbox (booted against PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let baseUrl: string;
  const realFetch = globalThis.fetch;
  /** Outgoing HTTPS calls of the service (SubscribeURL, signing certificates), answered by the test. */
  let outgoing: jest.SpyInstance;
  let answerOutgoing: (url: string) => Promise<Response>;

  beforeAll(async () => {
    db = await createTestDatabase();
    outgoing = jest.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      return url.startsWith('https://') ? answerOutgoing(url) : realFetch(input, init);
    });
    app = await startService(service, {
      DATABASE_URL: db.url,
      EVENT_CACHE_CONFIG: writeConfig(),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
    });
    baseUrl = await app.getUrl();
  });
  afterAll(async () => {
    outgoing?.mockRestore();
    await app?.close();
    await db?.drop();
  });
  beforeEach(() => {
    outgoing.mockClear();
    answerOutgoing = (url) => Promise.reject(new Error(`unexpected outgoing call to ${url}`));
  });

  const outgoingUrls = () =>
    outgoing.mock.calls
      .map(([input]) => (input instanceof Request ? input.url : String(input)))
      .filter((url) => url.startsWith('https://'));
  const sns = (message: unknown, headers: Record<string, string> = {}) =>
    call(baseUrl, 'POST', '/events/sns', typeof message === 'string' ? message : JSON.stringify(message), {
      'content-type': 'text/plain; charset=UTF-8',
      ...headers,
    });
  const api = (body: unknown, headers: Record<string, string> = { 'x-api-key': API_KEY }) =>
    call(baseUrl, 'POST', '/events', body, headers);
  const inboxRow = async (eventId: string) =>
    (await db.sql<InboxRow>(`SELECT * FROM event_inbox WHERE event_id = $1`, [eventId]))[0];
  const metrics = async () => (await call(baseUrl, 'GET', '/metrics')).body as string;

  describe('POST /events/sns', () => {
    it('puts a verified notification into the inbox before answering 200, once per message id', async () => {
      const ec2 = event('ec2-instance-state-change.json');
      const message = signedSns({ Message: JSON.stringify(ec2) });
      const first = await sns(message, { 'x-amz-sns-message-type': 'Notification' });
      expect(first).toMatchObject({
        status: 200,
        body: { type: 'Notification', eventId: ec2.id, status: 'accepted' },
      });
      expect(await inboxRow(ec2.id as string)).toMatchObject({
        channel: 'sns',
        outcome: 'pending',
        payload: { event: { id: ec2.id, kind: 'ec2_instance_state_change' }, format: 'eventbridge' },
      });
      // SNS retries until it sees a 2xx: a second delivery is acknowledged, not acted on twice.
      expect((await sns(message)).body).toMatchObject({ status: 'duplicate' });
      expect(await inboxRow(ec2.id as string)).toMatchObject({ duplicate_count: 1 });
      expect(outgoingUrls()).toEqual([]);
    });

    it('accepts signature version 1, application/json bodies and AWS Config notifications', async () => {
      const config = fixture('notifications/config-item-change-notification.json');
      const message = signedSns({ Message: JSON.stringify(config), SignatureVersion: '1' });
      const answer = await call(baseUrl, 'POST', '/events/sns', JSON.stringify(message), {
        'content-type': 'application/json',
      });
      expect(answer).toMatchObject({ status: 200, body: { eventId: message.MessageId, status: 'accepted' } });
      expect(await inboxRow(message.MessageId)).toMatchObject({
        payload: { format: 'config_notification', sns: { messageId: message.MessageId } },
      });
    });

    it('confirms a subscription by visiting SubscribeURL, only after the message verified', async () => {
      answerOutgoing = () => Promise.resolve(new Response('<ConfirmSubscriptionResponse/>', { status: 200 }));
      const confirmation = signedSns({ Type: 'SubscriptionConfirmation' });
      expect(await sns(confirmation)).toMatchObject({ status: 200, body: { status: 'confirmed' } });
      expect(outgoingUrls()).toEqual([confirmation.SubscribeURL]);

      outgoing.mockClear();
      const forged = signedSns({ Type: 'SubscriptionConfirmation' }, { tamper: (m) => (m.Token = 'forged') });
      expect(await sns(forged)).toMatchObject({ status: 403, body: { error: 'invalid_signature' } });
      const elsewhere = signedSns({
        Type: 'SubscriptionConfirmation',
        SubscribeURL: 'https://attacker.example.com/?Action=ConfirmSubscription',
      });
      expect(await sns(elsewhere)).toMatchObject({ status: 403, body: { error: 'untrusted_subscribe_url' } });
      expect(outgoingUrls()).toEqual([]);
    });

    it('answers 502 when SNS does not take the confirmation (SNS sends it again), and 200 to an unsubscribe', async () => {
      answerOutgoing = () => Promise.resolve(new Response('throttled', { status: 503 }));
      expect(await sns(signedSns({ Type: 'SubscriptionConfirmation' }))).toMatchObject({
        status: 502,
        body: { error: 'subscription_confirmation_failed' },
      });
      expect(await sns(signedSns({ Type: 'UnsubscribeConfirmation' }))).toMatchObject({
        status: 200,
        body: { type: 'UnsubscribeConfirmation', status: 'noted' },
      });
    });

    it('refuses every bad message with its reason code and status, storing nothing', async () => {
      const ec2 = JSON.stringify(event('ec2-instance-state-change.json'));
      const hourAgo = new Date(Date.now() - 2 * 3_600_000).toISOString();
      const otherCert = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-not-trusted.pem';
      const stored = async () => (await db.sql(`SELECT event_id FROM event_inbox`)).length;
      const storedBefore = await stored();
      const cases: [string, unknown, number, string][] = [
        ['not JSON', '{"Type": "Notification", ', 400, 'malformed_json'],
        [
          'prototype key',
          JSON.stringify(signedSns({ Message: ec2 })).replace('{', '{"__proto__":{"x":1},'),
          400,
          'forbidden_key',
        ],
        ['missing fields', { Type: 'Notification', MessageId: 'm-1' }, 400, 'schema_violation'],
        ['not an event', signedSns({ Message: 'hello, not JSON' }), 400, 'unsupported_event'],
        [
          'NUL in the event',
          signedSns({
            Message: ec2
              .replace('"pending"', '"pending","x":"\\u0000"')
              .replace('"resources":[', '"resources":["a\\u0000",'),
          }),
          400,
          'schema_violation',
        ],
        [
          'too large',
          signedSns({ Message: JSON.stringify({ pad: 'x'.repeat(300 * 1024) }) }),
          413,
          'payload_too_large',
        ],
        [
          'version 3',
          signedSns({ Message: ec2, SignatureVersion: '3' }),
          403,
          'unsupported_signature_version',
        ],
        [
          'other topic',
          signedSns({ Message: ec2, TopicArn: 'arn:aws:sns:us-east-1:123456789012:other' }),
          403,
          'untrusted_topic',
        ],
        ['too old', signedSns({ Message: ec2, Timestamp: hourAgo }), 403, 'message_too_old'],
        [
          'cert elsewhere',
          signedSns({ Message: ec2, SigningCertURL: 'https://attacker.example.com/cert.pem' }),
          403,
          'untrusted_cert_url',
        ],
        [
          'cert in an S3 bucket named sns',
          signedSns({
            Message: ec2,
            SigningCertURL: 'https://sns.s3.amazonaws.com/SimpleNotificationService-x.pem',
          }),
          403,
          'untrusted_cert_url',
        ],
        [
          "cert on another region's endpoint",
          signedSns({
            Message: ec2,
            SigningCertURL: 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-x.pem',
          }),
          403,
          'untrusted_cert_url',
        ],
        [
          'tampered',
          signedSns(
            { Message: ec2 },
            { tamper: (m) => (m.Message = m.Message.replace('pending', 'running')) },
          ),
          403,
          'invalid_signature',
        ],
        ['header mismatch', signedSns({ Message: ec2 }), 400, 'schema_violation'],
      ];
      for (const [what, body, status, reason] of cases) {
        const headers: Record<string, string> =
          what === 'header mismatch' ? { 'x-amz-sns-message-type': 'SubscriptionConfirmation' } : {};
        const answer = await sns(body, headers);
        expect({ what, status: answer.status, error: answer.body?.error }).toEqual({
          what,
          status,
          error: reason,
        });
      }
      // A certificate not in sns.trustedCertificates is fetched from the topic's SNS endpoint (timeout,
      // size limit): unusable or not issued to SNS -> 403, unreachable -> 503.
      answerOutgoing = () => Promise.resolve(new Response('not a certificate', { status: 200 }));
      expect(await sns(signedSns({ Message: ec2, SigningCertURL: otherCert }))).toMatchObject({
        status: 403,
        body: { error: 'invalid_certificate' },
      });
      const wrongName = readFileSync(join(FIXTURES, 'sns', 'test-wrong-subject.cert.pem'), 'utf8');
      answerOutgoing = () => Promise.resolve(new Response(wrongName, { status: 200 }));
      const misnamed = otherCert.replace('not-trusted', 'misnamed');
      expect(await sns(signedSns({ Message: ec2, SigningCertURL: misnamed }))).toMatchObject({
        status: 403,
        body: { error: 'invalid_certificate', message: expect.stringContaining('not issued to SNS') },
      });
      answerOutgoing = () => Promise.reject(new Error('connect ETIMEDOUT'));
      const unreachable = otherCert.replace('not-trusted', 'unreachable');
      expect(await sns(signedSns({ Message: ec2, SigningCertURL: unreachable }))).toMatchObject({
        status: 503,
        body: { error: 'certificate_unavailable' },
      });

      expect(await stored()).toBe(storedBefore);
      const text = await metrics();
      for (const [, , , reason] of cases.filter(
        ([what]) => what !== 'NUL in the event' && what !== 'header mismatch',
      ))
        expect(text).toMatch(
          new RegExp(
            `event_cache_events_received_total{channel="sns",outcome="rejected",reason="${reason}"} [1-9]`,
          ),
        );
    });

    it('cuts off a body far over the limit before reading it all (413)', async () => {
      const answer = await sns('x'.repeat(2 * 1024 * 1024));
      expect(answer).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
    });
  });

  describe('POST /events (EventBridge API destination)', () => {
    it('needs the configured API key', async () => {
      const body = event('ec2-instance-state-change.json');
      expect(await api(body, {})).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
      expect(await api(body, { 'x-api-key': 'wrong-key-0123456789' })).toMatchObject({ status: 401 });
      expect(await inboxRow(body.id as string)).toBeUndefined();
    });

    it('answers 202 after the event is committed to the inbox, and acknowledges a second copy as duplicate', async () => {
      const body = event('autoscaling-launch-successful.json');
      expect(await api(body)).toMatchObject({ status: 202, body: { eventId: body.id, status: 'accepted' } });
      expect(await inboxRow(body.id as string)).toMatchObject({ channel: 'api', outcome: 'pending' });
      expect(
        await api(JSON.stringify(body), { 'x-api-key': API_KEY, 'content-type': 'text/plain' }),
      ).toMatchObject({
        status: 202,
        body: { status: 'duplicate' },
      });
      // Valid but not acted on (decided by the inbox processor): still accepted at the door.
      expect(await api(event('unsupported-s3-object-created.json'))).toMatchObject({ status: 202 });
    });

    it('refuses bad input with reason-coded 4xx', async () => {
      const valid = event('ec2-instance-state-change.json');
      const cases: [unknown, number, string][] = [
        ['{"id": ', 400, 'malformed_json'],
        [
          JSON.stringify(valid).replace('"detail":{', '"detail":{"constructor":{"prototype":{}},'),
          400,
          'forbidden_key',
        ],
        [{ ...valid, 'detail-type': ['not', 'a', 'string'] }, 400, 'schema_violation'],
        [[valid], 400, 'schema_violation'],
        [{ ...valid, resources: ['\u0000'] }, 400, 'schema_violation'],
        [{ ...valid, padding: 'x'.repeat(300 * 1024) }, 413, 'payload_too_large'],
        ['', 400, 'malformed_json'],
      ];
      for (const [body, status, reason] of cases) {
        const answer = await api(body);
        expect({ status: answer.status, error: answer.body?.error }).toEqual({ status, error: reason });
      }
      expect(await metrics()).toContain(
        'event_cache_events_received_total{channel="api",outcome="rejected",reason="forbidden_key"} 1',
      );
    });
  });

  it('documents both endpoints in OpenAPI', async () => {
    const doc = (await call(baseUrl, 'GET', '/api-docs/json')).body as { paths: Record<string, object> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/events', '/events/sns']));
  });
});
