import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { openCacheStore, type CacheStore } from '@event-cache/cache-store';
import { startService } from '@event-cache/platform';
import { createTestDatabase, FakeSqsQueue, type TestDatabase } from '@event-cache/testing';
import { RetentionService } from '../src/inbox/retention.service';
import { service } from '../src/service';
import { event, eventually, writeConfig } from './support';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:event-cache';
const FORWARDER_TOKEN = 'forwarder-token-0123456789';

interface InboxRow {
  event_id: string;
  channel: string;
  outcome: string;
  reason: string | null;
  refresh_keys: string[] | null;
  duplicate_count: number;
}

describe('event-scheduler: SQS -> inbox -> decisions (booted against PostgreSQL, SQS mocked)', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let baseUrl: string;
  let queue: FakeSqsQueue;
  let restoreSqs: () => void;
  let store: CacheStore;
  let closeStore: () => Promise<void>;
  let forwarder: Server;
  const forwarded: { path: string; body: unknown; authorization?: string }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    forwarder = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        forwarded.push({
          path: req.url ?? '',
          body: JSON.parse(body),
          authorization: req.headers.authorization,
        });
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"cachedIdentifiersByType":{}}');
      });
    });
    await new Promise<void>((resolve) => forwarder.listen(0, '127.0.0.1', resolve));
    queue = new FakeSqsQueue();
    restoreSqs = queue.install();
    const config = writeConfig(`
accounts:
  - name: prod
    accountId: "123456789012"
    regions: [{ name: us-east-1 }, { name: us-west-2 }]
sqs:
  queueUrl: ${queue.url}
  waitTimeSeconds: 1
  concurrency: 2
  visibilityTimeoutSeconds: 30
  snsTopicArns: [${TOPIC}]
inbox:
  # No polling to speak of: every wake-up in these tests comes from LISTEN/NOTIFY.
  pollIntervalMs: 60000
clouddriver:
  propagateRefreshes: true
  forwarderUrl: http://127.0.0.1:${(forwarder.address() as AddressInfo).port}
`);
    app = await startService(service, {
      DATABASE_URL: db.url,
      EVENT_CACHE_CONFIG: config,
      // The forwarder's shared token, as the Secret gives it to the forwarder and this service.
      FORWARDER_TOKEN,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
    });
    baseUrl = await app.getUrl();
    ({ store, close: closeStore } = await openCacheStore(db.url, { poolSize: 2 }));
  });
  afterAll(async () => {
    await app?.close();
    restoreSqs?.();
    await closeStore?.();
    await new Promise((resolve) => forwarder?.close(resolve));
    await db?.drop();
  });

  const inboxRow = async (eventId: string) =>
    (await db.sql<InboxRow>(`SELECT * FROM event_inbox WHERE event_id = $1`, [eventId]))[0];
  const decided = (eventId: string) =>
    eventually(async () => {
      const row = await inboxRow(eventId);
      return row && row.outcome !== 'pending' ? row : undefined;
    }, `a decision on ${eventId}`);
  const deleted = (messageId: string) =>
    queue.waitFor(() => queue.isDeleted(messageId), `deletion of ${messageId}`);
  const refreshRows = (key: string) =>
    db.sql<{
      type: string;
      key: string;
      account: string;
      region: string;
      origin: string;
      target: unknown;
      request_count: number;
    }>(
      `SELECT type, key, account, region, origin, target, request_count FROM refresh_request WHERE key = $1`,
      [key],
    );
  const metrics = async () => (await fetch(new URL('/metrics', baseUrl))).text();

  it('turns an SQS event into a refresh request, deleting the message only after its inbox row is committed', async () => {
    const ec2 = event('ec2-instance-state-change.json');
    const messageId = queue.send(ec2);
    await deleted(messageId);
    // Deleted means committed: the row is already there.
    expect(await inboxRow(ec2.id as string)).toMatchObject({ channel: 'sqs' });

    expect(await decided(ec2.id as string)).toMatchObject({
      outcome: 'refreshed',
      reason: null,
      refresh_keys: ['aws:instances:prod:us-east-1:i-1234567890abcdef0'],
    });
    expect(await refreshRows('aws:instances:prod:us-east-1:i-1234567890abcdef0')).toEqual([
      {
        type: 'instances',
        key: 'aws:instances:prod:us-east-1:i-1234567890abcdef0',
        account: 'prod',
        region: 'us-east-1',
        origin: 'event',
        target: { id: 'i-1234567890abcdef0', idKind: 'instanceId', partial: false },
        request_count: 1,
      },
    ]);
    expect(await metrics()).toMatch(
      /event_cache_events_processed_total{outcome="refreshed",reason=""} [1-9]/,
    );
  });

  it('applies the state a stop or termination event carries to the cached instance, without a read', async () => {
    const cached = (id: string) => ({
      key: `aws:instances:prod:us-east-1:${id}`,
      type: 'instances',
      account: 'prod',
      region: 'us-east-1',
      attributes: { instanceId: id, state: { code: 16, name: 'running' }, privateIpAddress: '10.0.3.4' },
    });
    const readAt = new Date(Date.now() - 60_000);
    await store.resources.write([cached('i-0aaa0000000000001'), cached('i-0bbb0000000000001')], {
      fetchedAt: readAt,
    });
    const stateEvent = (id: string, state: string) =>
      event('ec2-instance-state-change.json', {
        time: new Date(readAt.getTime() + 30_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        detail: { 'instance-id': id, state },
      });
    const [stop, end, unknown] = [
      stateEvent('i-0aaa0000000000001', 'stopped'),
      stateEvent('i-0bbb0000000000001', 'terminated'),
      stateEvent('i-0ccc0000000000001', 'stopped'),
    ];
    for (const e of [stop, end, unknown]) queue.send(e);
    for (const e of [stop, end, unknown]) {
      expect(await decided(e.id as string)).toMatchObject({
        outcome: 'refreshed',
        reason: 'state_from_event',
      });
    }

    const stopped = await store.resources.findByKey('aws:instances:prod:us-east-1:i-0aaa0000000000001');
    expect(stopped?.attributes).toEqual({
      instanceId: 'i-0aaa0000000000001',
      state: { code: 80, name: 'stopped' },
      privateIpAddress: '10.0.3.4',
    });
    expect(await store.resources.findByKey('aws:instances:prod:us-east-1:i-0bbb0000000000001')).toBeNull();
    // No read for what the events said in full; an instance not cached yet is read.
    expect(await refreshRows('aws:instances:prod:us-east-1:i-0aaa0000000000001')).toEqual([]);
    expect(await refreshRows('aws:instances:prod:us-east-1:i-0bbb0000000000001')).toEqual([]);
    expect(await refreshRows('aws:instances:prod:us-east-1:i-0ccc0000000000001')).toMatchObject([
      { origin: 'event', request_count: 1 },
    ]);
  });

  it('records every message that can never succeed with its reason, and deletes it', async () => {
    const valid = event('ec2-instance-state-change.json');
    const snsEnvelope = (topic: string, type = 'Notification') => ({
      Type: type,
      MessageId: crypto.randomUUID(),
      TopicArn: topic,
      Message: JSON.stringify(event('ec2-instance-state-change.json')),
      Timestamp: new Date().toISOString(),
      SignatureVersion: '1',
      Signature: 'RXhhbXBsZQ==',
      SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem',
      ...(type === 'Notification'
        ? {}
        : {
            Token: 'token',
            SubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription',
          }),
    });
    const cases: { reason: string; body: string; eventId?: string }[] = [
      { reason: 'malformed_json', body: '{"id": "broken' },
      {
        reason: 'forbidden_key',
        body: JSON.stringify(valid).replace('"detail":{', '"detail":{"__proto__":{"x":1},'),
      },
      {
        reason: 'schema_violation',
        body: JSON.stringify({ ...valid, id: 'bad-detail-type-1', 'detail-type': 42 }),
        eventId: 'bad-detail-type-1',
      },
      { reason: 'payload_too_large', body: JSON.stringify({ ...valid, padding: 'x'.repeat(300 * 1024) }) },
      { reason: 'unsupported_event', body: JSON.stringify(snsEnvelope(TOPIC, 'SubscriptionConfirmation')) },
      {
        reason: 'untrusted_topic',
        body: JSON.stringify(snsEnvelope('arn:aws:sns:us-east-1:123456789012:other')),
      },
      {
        // PostgreSQL cannot store U+0000: refused at the door instead of failing the batch.
        reason: 'schema_violation',
        body: JSON.stringify({ ...valid, id: 'nul-in-resources-1', resources: ['arn:aws:ec2:x\u0000'] }),
        eventId: 'nul-in-resources-1',
      },
    ];
    const sent = cases.map((c) => ({ ...c, messageId: queue.send(c.body) }));
    for (const c of sent) {
      await deleted(c.messageId);
      const rows = await db.sql<InboxRow>(
        `SELECT * FROM event_inbox WHERE event_id = $1 OR event_id = $2 OR payload->>'sqsMessageId' = $3`,
        [c.eventId ?? '', `sqs:${c.messageId}`, c.messageId],
      );
      expect({ reason: c.reason, rows: rows.map((r) => [r.outcome, r.reason]) }).toEqual({
        reason: c.reason,
        rows: [['rejected', c.reason]],
      });
    }
    const text = await metrics();
    for (const reason of [
      'malformed_json',
      'forbidden_key',
      'payload_too_large',
      'unsupported_event',
      'untrusted_topic',
    ])
      expect(text).toContain(
        `event_cache_events_received_total{channel="sqs",outcome="rejected",reason="${reason}"} 1`,
      );
    expect(text).toContain(
      `event_cache_events_received_total{channel="sqs",outcome="rejected",reason="schema_violation"} 2`,
    );
  });

  it('acknowledges valid events it does not act on, with the decision as reason', async () => {
    const unknownAccount = event('ec2-instance-state-change.json', { account: '999999999999' });
    const unsupported = event('unsupported-s3-object-created.json', {
      'detail-type': 'Object Created \u0000',
    });
    const unsupportedClean = event('unsupported-s3-object-created.json');
    for (const e of [unknownAccount, unsupported, unsupportedClean]) await deleted(queue.send(e));
    expect(await decided(unknownAccount.id as string)).toMatchObject({
      outcome: 'ignored',
      reason: 'unknown_account',
    });
    expect(await inboxRow(unsupported.id as string)).toMatchObject({
      outcome: 'rejected',
      reason: 'schema_violation',
    });
    expect(await decided(unsupportedClean.id as string)).toMatchObject({
      outcome: 'ignored',
      reason: 'unsupported_event',
    });
  });

  it('refreshes once for a redelivered message and for a second copy of the same event', async () => {
    const ec2 = event('ec2-instance-state-change.json', {
      detail: { 'instance-id': 'i-0aaaaaaaaaaaaaaa1', state: 'stopped' },
    });
    const key = 'aws:instances:prod:us-east-1:i-0aaaaaaaaaaaaaaa1';
    // The first delete fails (network): the message comes back after its visibility timeout.
    queue.failDelete(new Error('socket hang up'));
    const first = queue.send(ec2);
    await queue.waitFor(() => queue.calls.delete > 0 && queue.receiveCount(first) === 1, 'the failed delete');
    await decided(ec2.id as string);
    expect(queue.isDeleted(first)).toBe(false);
    queue.expireVisibility(first);
    await deleted(first);
    expect(queue.receiveCount(first)).toBe(2);
    // EventBridge may also deliver the same event twice as two messages.
    await deleted(queue.send(ec2));

    expect(await inboxRow(ec2.id as string)).toMatchObject({ outcome: 'refreshed', duplicate_count: 2 });
    expect(await refreshRows(key)).toEqual([expect.objectContaining({ request_count: 1 })]);
    expect(await metrics()).toMatch(
      /event_cache_events_received_total{channel="sqs",outcome="duplicate",reason=""} 2/,
    );
  });

  it('leaves the message in the queue while the database fails, and processes it once it is back', async () => {
    await db.sql(`CREATE FUNCTION refuse_inbox() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'database unavailable'; END $$`);
    await db.sql(
      `CREATE TRIGGER refuse_inbox BEFORE INSERT ON event_inbox FOR EACH ROW EXECUTE FUNCTION refuse_inbox()`,
    );
    const ec2 = event('ec2-instance-state-change.json', {
      detail: { 'instance-id': 'i-0bbbbbbbbbbbbbbb1', state: 'running' },
    });
    const messageId = queue.send(ec2);
    try {
      await eventually(
        async () =>
          (await metrics()).includes('event_cache_sqs_messages_retained_total 1') ? true : undefined,
        'the message to be retained',
      );
      expect(queue.isDeleted(messageId)).toBe(false);
      expect(await inboxRow(ec2.id as string)).toBeUndefined();
    } finally {
      await db.sql(`DROP TRIGGER refuse_inbox ON event_inbox`);
      await db.sql(`DROP FUNCTION refuse_inbox()`);
    }
    queue.expireVisibility(messageId);
    await deleted(messageId);
    expect(await decided(ec2.id as string)).toMatchObject({ outcome: 'refreshed' });
  });

  it('retries a batch whose decision transaction failed at once, not after its claim expired', async () => {
    // Sequences are not transactional: the first refresh insert fails, the retry passes.
    await db.sql(`CREATE SEQUENCE refuse_once_seq`);
    await db.sql(`CREATE FUNCTION refuse_once() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF nextval('refuse_once_seq') = 1 THEN RAISE EXCEPTION 'serialization hiccup'; END IF; RETURN NEW; END $$`);
    await db.sql(
      `CREATE TRIGGER refuse_once BEFORE INSERT ON refresh_request FOR EACH ROW EXECUTE FUNCTION refuse_once()`,
    );
    try {
      const ec2 = event('ec2-instance-state-change.json', {
        detail: { 'instance-id': 'i-0ccccccccccccccc1', state: 'stopping' },
      });
      await deleted(queue.send(ec2));
      // claimTtlSeconds is 60 and polling 60 s: only the immediate retry can make this in time.
      expect(await decided(ec2.id as string)).toMatchObject({ outcome: 'refreshed' });
      expect(await refreshRows('aws:instances:prod:us-east-1:i-0ccccccccccccccc1')).toHaveLength(1);
      expect(await metrics()).toMatch(/event_cache_inbox_processing_failures_total 1/);
    } finally {
      await db.sql(`DROP TRIGGER refuse_once ON refresh_request`);
      await db.sql(`DROP FUNCTION refuse_once()`);
      await db.sql(`DROP SEQUENCE refuse_once_seq`);
    }
  });

  it('marks the account/region pipeline healthy on a heartbeat, and exports it per account/region', async () => {
    // An agent of caching-agents, registered in the shared database: its interval is exported here too.
    await store.schedules.register([
      {
        agentId: 'prod/us-east-1/InstanceCachingAgent',
        kind: 'InstanceCachingAgent',
        account: 'prod',
        region: 'us-east-1',
        baseIntervalMs: 30_000,
        firstRunAt: new Date(),
      },
    ]);
    const heartbeat = event('scheduled-event.json', { time: new Date().toISOString() });
    await deleted(queue.send(heartbeat));
    expect(await decided(heartbeat.id as string)).toMatchObject({ outcome: 'heartbeat' });
    const [health] = await db.sql<{ healthy_until: Date }>(
      `SELECT healthy_until FROM pipeline_health WHERE account = 'prod' AND region = 'us-east-1'`,
    );
    expect(health.healthy_until.getTime()).toBeGreaterThan(Date.now() + 60_000);

    // Per account/region on /metrics: the configured region without a heartbeat is unhealthy.
    const text = await metrics();
    expect(text).toContain('event_cache_pipeline_healthy{account="prod",region="us-east-1"} 1');
    expect(text).toContain('event_cache_pipeline_healthy{account="prod",region="us-west-2"} 0');
    expect(text).toMatch(
      /^event_cache_pipeline_heartbeat_age_seconds\{account="prod",region="us-east-1"\} [\d.e-]+$/m,
    );
    expect(text).not.toContain(
      'event_cache_pipeline_heartbeat_age_seconds{account="prod",region="us-west-2"}',
    );
    expect(text).toContain(
      'event_cache_agent_interval_seconds{account="prod",region="us-east-1",kind="InstanceCachingAgent"} 30',
    );
    // Earlier tests left refresh requests pending (no caching-agents here to serve them).
    const oldest = /^event_cache_refresh_oldest_pending_age_seconds ([\d.e-]+)$/m.exec(text);
    expect(Number(oldest?.[1])).toBeGreaterThan(0);
  });

  it("backs agents off during an AWS Health issue and resets them when it closes, leaving an operator's override alone", async () => {
    await store.schedules.register(
      ['InstanceCachingAgent', 'SecurityGroupCachingAgent', 'ClusterCachingAgent'].map((kind) => ({
        agentId: `prod/us-east-1/${kind}`,
        kind,
        account: 'prod',
        region: 'us-east-1',
        baseIntervalMs: 30_000,
        firstRunAt: new Date(Date.now() + 3_600_000),
      })),
    );
    await store.schedules.setOverride(
      { kind: 'SecurityGroupCachingAgent' },
      { intervalMs: 120_000, setBy: 'admin:alice', reason: 'quiet please' },
    );
    const open = event('health-ec2-operational-issue.json');
    await deleted(queue.send(open));
    expect(await decided(open.id as string)).toMatchObject({ outcome: 'adjusted' });
    const overrides = async () =>
      Object.fromEntries((await store.schedules.list({ account: 'prod' })).map((a) => [a.kind, a.override]));
    expect(await overrides()).toEqual({
      InstanceCachingAgent: expect.objectContaining({ factor: 2, setBy: `event:${String(open.id)}` }),
      SecurityGroupCachingAgent: expect.objectContaining({ intervalMs: 120_000, setBy: 'admin:alice' }),
      ClusterCachingAgent: null,
    });

    const closed = event('health-ec2-operational-issue.json', {
      detail: { ...(open.detail as object), statusCode: 'closed' },
    });
    await deleted(queue.send(closed));
    expect(await decided(closed.id as string)).toMatchObject({ outcome: 'adjusted' });
    expect(await overrides()).toEqual({
      InstanceCachingAgent: null,
      SecurityGroupCachingAgent: expect.objectContaining({ setBy: 'admin:alice' }),
      ClusterCachingAgent: null,
    });
  });

  it('propagates server-group refreshes to stock Clouddriver through the forwarder', async () => {
    const launch = event('autoscaling-launch-successful.json');
    await deleted(queue.send(launch));
    expect(await decided(launch.id as string)).toMatchObject({
      outcome: 'refreshed',
      refresh_keys: [
        'aws:serverGroups:orders-api-prod:prod:us-west-2:orders-api-prod-v042',
        'aws:instances:prod:us-west-2:i-1234567890abcdef0',
      ],
    });
    const call = await eventually(
      () => Promise.resolve(forwarded.find((f) => f.path === '/cache/aws/ServerGroup')),
      'the forwarder call',
    );
    expect(call.authorization).toBe(`Bearer ${FORWARDER_TOKEN}`);
    expect(call.body).toEqual({
      asgName: 'orders-api-prod-v042',
      serverGroupName: 'orders-api-prod-v042',
      account: 'prod',
      region: 'us-west-2',
    });
    // Instances have no Clouddriver on-demand type: nothing else was sent.
    expect(forwarded.map((f) => f.path)).toEqual(['/cache/aws/ServerGroup']);
  });

  it('decides events other channels wrote, and keeps being woken after its LISTEN connection dropped', async () => {
    const viaApi = event('ec2-instance-state-change.json');
    const ingested = (e: Record<string, unknown>) => ({
      event: { ...e, kind: 'ec2_instance_state_change' },
      format: 'eventbridge',
    });
    await store.inbox.accept([
      { eventId: viaApi.id as string, channel: 'api', payload: ingested(viaApi), receivedAt: new Date() },
    ]);
    expect(await decided(viaApi.id as string)).toMatchObject({ channel: 'api', outcome: 'refreshed' });

    await db.sql(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'event-scheduler' AND query LIKE 'LISTEN%'`,
    );
    await eventually(async () => {
      const [row] = await db.sql<{ n: string }>(
        `SELECT count(*) AS n FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'event-scheduler' AND query LIKE 'LISTEN%'`,
      );
      return Number(row.n) === 1 ? true : undefined;
    }, 'the processor to LISTEN again');
    const viaSns = event('ec2-instance-state-change.json');
    await store.inbox.accept([
      { eventId: viaSns.id as string, channel: 'sns', payload: ingested(viaSns), receivedAt: new Date() },
    ]);
    expect(await decided(viaSns.id as string)).toMatchObject({ outcome: 'refreshed' });
  });

  it('purges what is past retention', async () => {
    await db.sql(
      `UPDATE event_inbox SET received_at = now() - interval '30 days' WHERE outcome <> 'pending'`,
    );
    const purged = await app.get(RetentionService).purge();
    expect(purged.events).toBeGreaterThan(0);
    expect(await db.sql(`SELECT 1 FROM event_inbox WHERE outcome <> 'pending'`)).toEqual([]);
  });
});
