import type { INestApplication } from '@nestjs/common';
import { migrate } from '@event-cache/cache-store';
import { startService } from '@event-cache/platform';
import {
  answerOf,
  eventually,
  FakeSqsQueue,
  type RunningPostgres,
  sqlOn,
  startOwnDatabase,
  whileFrozen,
  whileHalted,
} from '@event-cache/testing';
import { service } from '../src/service';
import { event, writeConfig } from './support';

// Outages take a while to ride out: every wait below is a condition with a generous bound.
jest.setTimeout(240_000);
const LONG = 90_000;
const ADMIN_TOKEN = 'test-admin-token-0123456789';

/**
 * event-scheduler against a PostgreSQL of its own that the tests stop (connections refused),
 * freeze (SIGSTOP: nothing answers) and terminate, with an SQS queue whose redrive policy moves a
 * message received twice to the dead-letter queue.
 */
describe('event-scheduler through database outages (its own PostgreSQL; SQS mocked)', () => {
  let pg: RunningPostgres;
  let url: string;
  let app: INestApplication;
  let baseUrl: string;
  const queue = new FakeSqsQueue();
  const dlq = new FakeSqsQueue('https://sqs.us-east-1.amazonaws.com/123456789012/event-cache-events-dlq');
  let restoreSqs: () => void;
  /** Events that were in the DLQ before the service started (a past outage, a bug since fixed). */
  const deadLetters = {
    valid: event('ec2-instance-state-change.json', {
      detail: { 'instance-id': 'i-0dddddddddddddd01', state: 'running' },
    }),
    malformed: '{"id": "broken',
  };

  beforeAll(async () => {
    ({ pg, url } = await startOwnDatabase((databaseUrl) => migrate({ url: databaseUrl })));
    queue.redriveTo(dlq, 2);
    dlq.send(deadLetters.valid);
    dlq.send(deadLetters.malformed);
    restoreSqs = queue.install(dlq);
    const config = writeConfig(`
accounts:
  - name: prod
    accountId: "123456789012"
    regions: [{ name: us-east-1 }]
database:
  statementTimeoutMs: 2000
  connectTimeoutMs: 2000
health:
  readinessTimeoutMs: 1000
admin:
  token: ${ADMIN_TOKEN}
sqs:
  queueUrl: ${queue.url}
  deadLetterQueueUrl: ${dlq.url}
  waitTimeSeconds: 1
  concurrency: 2
  visibilityTimeoutSeconds: 5
inbox:
  pollIntervalMs: 500
  # Far longer than any wait below: no event may sit out a claim whose answer a frozen server lost.
  claimTtlSeconds: 600
`);
    app = await startService(service, {
      DATABASE_URL: url,
      EVENT_CACHE_CONFIG: config,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
    });
    baseUrl = await app.getUrl();
  });
  afterAll(async () => {
    pg?.thaw();
    await app?.close();
    restoreSqs?.();
    await pg?.stop();
  });

  const get = (path: string) => answerOf(baseUrl, 'GET', path);
  const sql = <T>(text: string, params: unknown[] = []) => sqlOn(url)<T>(text, params);
  const metric = async (name: string) =>
    Number(new RegExp(`^${name} (\\S+)$`, 'm').exec((await get('/metrics')).body as string)?.[1]);
  const readiness = (status: number) =>
    eventually(async () => (await get('/health/ready')).status === status, `readiness ${status}`, LONG);
  const paused = () =>
    eventually(
      async () => (await metric('event_cache_sqs_receiving_paused')) === 1,
      'SQS receiving to pause',
      LONG,
    );
  const decided = (eventId: unknown) =>
    eventually(
      async () => {
        const [row] = await sql<{ outcome: string }>(`SELECT outcome FROM event_inbox WHERE event_id = $1`, [
          eventId,
        ]);
        return row && row.outcome !== 'pending' ? row.outcome : undefined;
      },
      `a decision on ${String(eventId)}`,
      LONG,
    );
  const deleted = (messageId: string) =>
    queue.waitFor(() => queue.isDeleted(messageId), `deletion of ${messageId}`, LONG);
  const extensionsOf = (messageId: string) =>
    queue.visibilityChanges.filter(([id]) => id === messageId).length;
  const redrive = (query = '', token = ADMIN_TOKEN) =>
    answerOf(baseUrl, 'POST', `/admin/dlq/redrive${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });

  it('stays up while every one of its connections is terminated over and over, and keeps deciding events', async () => {
    for (let round = 0; round < 20; round++) {
      // What a restart or failover of PostgreSQL does to a client; the service listens again at once.
      await sql(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'event-scheduler'`,
      );
      expect((await get('/health/live')).status).toBe(200);
    }
    const after = event('ec2-instance-state-change.json');
    await deleted(queue.send(after));
    expect(await decided(after.id)).toBe('refreshed');
  });

  it('reports the depth of the dead-letter queue and redrives it through the normal path', async () => {
    await eventually(
      async () => (await metric('event_cache_sqs_dead_letter_messages')) === 2,
      'the DLQ depth',
      LONG,
    );
    const openApi = (await get('/api-docs/json')).body as { paths: Record<string, unknown> };
    expect(Object.keys(openApi.paths)).toContain('/admin/dlq/redrive');
    expect((await redrive('', 'wrong-token-0123456789')).status).toBe(401);
    expect(await redrive('?max=0')).toMatchObject({ status: 400, body: { error: 'schema_violation' } });
    expect(await redrive('?max=1')).toMatchObject({
      status: 200,
      body: { received: 1, moved: 1, retained: 0, remaining: 1 },
    });
    expect(await redrive()).toMatchObject({
      status: 200,
      body: { received: 1, moved: 1, retained: 0, remaining: 0 },
    });
    // Processed as a fresh queue message would be: decided, or recorded as rejected with its reason.
    expect(await decided(deadLetters.valid.id)).toBe('refreshed');
    const [rejected] = await sql<{ reason: string }>(
      `SELECT reason FROM event_inbox WHERE outcome = 'rejected' AND payload->>'sqsMessageId' IS NOT NULL`,
    );
    expect(rejected).toEqual({ reason: 'malformed_json' });
    expect(dlq.messageIds).toEqual([]);
    expect(await metric('event_cache_sqs_dead_letter_redriven_total')).toBe(2);
    expect(await metric('event_cache_sqs_dead_letter_messages')).toBe(0);
  });

  it('rides out a stopped database: not ready, receives nothing it cannot store, loses nothing, and resumes', async () => {
    await whileHalted(pg, async () => {
      await readiness(503);
      expect((await get('/health/ready')).body.details.database).toMatchObject({ status: 'down' });

      // Received before anyone noticed the outage: held (kept invisible), not handed back to SQS.
      const held = event('ec2-instance-state-change.json');
      const heldId = queue.send(held);
      await paused();
      const receivesWhenPaused = queue.calls.receive;
      // Sent while paused: left in the queue (or, taken by a long poll already under way, held too).
      const waiting = event('ec2-instance-state-change.json');
      const waitingId = queue.send(waiting);
      expect(await redrive()).toMatchObject({ status: 503, body: { error: 'database_unavailable' } });

      // Longer than the visibility timeout (and maxReceiveCount receives) several times over.
      await queue.waitFor(
        () => extensionsOf(heldId) >= 4 || queue.receiveCount(heldId) > 1 || dlq.messageIds.length > 0,
        'four visibility extensions of the held message',
        LONG,
      );
      expect(dlq.messageIds).toEqual([]);
      expect(queue.receiveCount(heldId)).toBe(1);
      expect(queue.receiveCount(waitingId)).toBeLessThanOrEqual(1);
      expect(queue.calls.receive).toBe(receivesWhenPaused); // no ReceiveMessage started while paused
      expect((await get('/health/live')).status).toBe(200);

      await pg.restart();
      await deleted(heldId);
      await deleted(waitingId);
      expect(await decided(held.id)).toBe('refreshed');
      expect(await decided(waiting.id)).toBe('refreshed');
      expect([queue.receiveCount(heldId), queue.receiveCount(waitingId)]).toEqual([1, 1]);
      expect(dlq.messageIds).toEqual([]);
      expect(await metric('event_cache_sqs_receiving_paused')).toBe(0);
      await readiness(200);
    });
  });

  it('rides out a frozen database: readiness answers 503 naming it, and everything resumes once it thaws', async () => {
    await whileFrozen(pg, async () => {
      const notReady = await get('/health/ready');
      expect(notReady.status).toBe(503);
      expect(notReady.body.details.database).toMatchObject({ status: 'down', timedOut: true });
      const held = event('ec2-instance-state-change.json');
      const heldId = queue.send(held);
      await paused();
      expect((await get('/health/ready')).status).toBe(503);
      expect((await get('/health/live')).status).toBe(200);
      pg.thaw();
      await deleted(heldId);
      expect(await decided(held.id)).toBe('refreshed');
      expect(queue.receiveCount(heldId)).toBe(1);
      expect(dlq.messageIds).toEqual([]);
      await readiness(200);
    });
  });
});
