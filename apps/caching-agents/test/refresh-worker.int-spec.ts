import type { AgentRuntime } from '@event-cache/agents';
import { type CacheStore, openCacheStore, type RefreshEnqueue } from '@event-cache/cache-store';
import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import { eventually, FakeInstanceRefresher, replica } from './support/fake-agents';

function instanceRequest(id: string, requestedAt = new Date()): RefreshEnqueue {
  return {
    type: 'instances',
    key: `aws:instances:prod:us-east-1:${id}`,
    account: 'prod',
    region: 'us-east-1',
    origin: 'event',
    requestedAt,
    target: { id, idKind: 'instanceId', partial: false },
  };
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `i-${String(i).padStart(17, '0')}`);

describe('caching-agents refresh worker on PostgreSQL', () => {
  let db: TestDatabase;
  let store: CacheStore;
  let close: () => Promise<void>;
  let runtime: AgentRuntime | undefined;

  const start = async (refresher: FakeInstanceRefresher, refresh: Record<string, number> = {}) => {
    runtime = replica(store, 'worker-b', {
      providers: [],
      refreshers: [refresher],
      runScheduler: false,
      refresh: { worker: 'worker-b', ...refresh },
    });
    await runtime.start();
  };
  const statuses = async () =>
    db.sql(`SELECT status, count(*)::int AS n FROM refresh_request GROUP BY status ORDER BY status`);

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ store, close } = await openCacheStore(db.url, { poolSize: 8 }));
  });
  afterAll(async () => {
    await close();
    await db.drop();
  });
  beforeEach(() => db.sql('TRUNCATE refresh_request, cached_resource, cached_relationship'));
  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
  });

  it('refreshes 1,000 instance events of one account/region in a few batched reads', async () => {
    const all = ids(1_000);
    const aws = new Map(all.slice(0, 990).map((id) => [id, 'running']));
    // Stale rows for the 10 instances AWS no longer has, and a burst with duplicates (events come twice).
    await store.resources.write(
      all.slice(990).map((id) => ({
        key: `aws:instances:prod:us-east-1:${id}`,
        type: 'instances',
        attributes: { instanceId: id },
      })),
      { fetchedAt: new Date(Date.now() - 60_000) },
    );
    await store.refreshes.enqueue([...all, ...all.slice(0, 500)].map((id) => instanceRequest(id)));
    const refresher = new FakeInstanceRefresher(aws);
    await start(refresher);

    await eventually(async () => {
      const rows = await statuses();
      return rows.length === 1 && rows[0].status === 'succeeded' && rows[0].n === 1_000;
    });
    expect(refresher.batches.length).toBeLessThanOrEqual(5);
    expect(refresher.batches.reduce((n, b) => n + b.items.length, 0)).toBe(1_000);
    expect(refresher.batches.every((b) => b.account === 'prod' && b.region === 'us-east-1')).toBe(true);
    const [{ n, requests }] = await db.sql(
      `SELECT count(*)::int AS n, sum(request_count)::int AS requests FROM refresh_request WHERE processed_count = 1`,
    );
    expect({ n, requests }).toEqual({ n: 1_000, requests: 1_500 });
    expect((await store.resources.list({ type: 'instances', limit: 1_000 })).items).toHaveLength(990);
  });

  it('claims again what a worker that died mid-batch had claimed, once the claim lapsed', async () => {
    await store.refreshes.enqueue(['i-1', 'i-2'].map((id) => instanceRequest(id)));
    const dead = await store.refreshes.claimBatch({ worker: 'worker-a', limit: 10, claimTtlMs: 600 });
    expect(dead).toHaveLength(2);

    const refresher = new FakeInstanceRefresher(
      new Map([
        ['i-1', 'running'],
        ['i-2', 'stopped'],
      ]),
    );
    await start(refresher);
    const claimExpiresAt = Date.now() + 600;
    await eventually(async () => (await store.refreshes.countByStatus()).succeeded === 2);
    expect(Date.now()).toBeGreaterThanOrEqual(claimExpiresAt - 50);
    const request = await store.refreshes.findById(dead[0].id);
    expect(request).toMatchObject({
      status: 'succeeded',
      attempts: 2,
      claimedBy: 'worker-b',
      processedCount: 1,
    });
    expect(await store.resources.findByKey('aws:instances:prod:us-east-1:i-2')).toMatchObject({
      attributes: { state: { name: 'stopped' } },
      agent: 'prod/us-east-1/InstanceCachingAgent',
    });
  });

  it('retries what the refresher could not read with backoff, then fails it for good', async () => {
    await store.refreshes.enqueue(['i-1', 'i-bad'].map((id) => instanceRequest(id)));
    const refresher = new FakeInstanceRefresher(new Map([['i-1', 'running']]), {
      failIds: new Set(['i-bad']),
    });
    await start(refresher, { maxAttempts: 3, backoffMs: 100 });

    const bad = await eventually(async () => {
      const [row] = await db.sql(
        `SELECT status, attempts, error FROM refresh_request WHERE key LIKE '%i-bad'`,
      );
      return row.status === 'failed' && row;
    }, 10_000);
    expect(bad).toEqual({ status: 'failed', attempts: 3, error: 'InvalidInstanceID.Malformed: i-bad' });
    // Read once and three times; how the first reads were batched depends on which of the
    // worker's concurrent claims won each row (SKIP LOCKED), so only the counts are asserted.
    const reads = refresher.batches.flatMap((b) => b.items.map((i) => i.id));
    expect(reads.filter((id) => id === 'i-1')).toHaveLength(1);
    expect(reads.filter((id) => id === 'i-bad')).toHaveLength(3);
    expect(await statuses()).toEqual([
      { status: 'failed', n: 1 },
      { status: 'succeeded', n: 1 },
    ]);
  });
});
