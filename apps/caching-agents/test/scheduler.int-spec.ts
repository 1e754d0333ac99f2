import type { AgentRuntime } from '@event-cache/agents';
import { type CacheStore, openCacheStore } from '@event-cache/cache-store';
import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import {
  eventually,
  FakeInstanceRefresher,
  fakeProvider,
  instanceRecord,
  polling,
  PROD,
  replica,
  type RunRecord,
  sleep,
} from './support/fake-agents';

const KINDS = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'].map((k) => `${k}CachingAgent`);

describe('caching-agents scheduler on PostgreSQL', () => {
  let db: TestDatabase;
  let store: CacheStore;
  let close: () => Promise<void>;
  let runtimes: AgentRuntime[] = [];

  const started = async (runtime: AgentRuntime) => {
    runtimes.push(runtime);
    await runtime.start();
    return runtime;
  };
  const schedule = async (agentId: string) => (await store.schedules.list({ agentIdGlob: agentId }))[0];

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ store, close } = await openCacheStore(db.url, { poolSize: 12 }));
  });
  afterAll(async () => {
    await close();
    await db.drop();
  });
  beforeEach(() =>
    db.sql(
      'TRUNCATE agent_schedule, agent_lease, cached_resource, cached_relationship, refresh_request, pipeline_health',
    ),
  );
  afterEach(async () => {
    await Promise.all(runtimes.map((r) => r.stop()));
    runtimes = [];
  });

  it('never runs one agent on two replicas at once, and both replicas share the work', async () => {
    const runs: RunRecord[] = [];
    const providersFor = (name: string) =>
      KINDS.map((kind) =>
        fakeProvider(
          kind,
          async (agent, ctx) => {
            await sleep(10 + Math.random() * 40);
            return {
              readStartedAt: ctx.now(),
              resources: [instanceRecord('prod', 'us-east-1', `i-${agent.kind}`)],
            };
          },
          { runs, replica: name },
        ),
      );
    await Promise.all(
      ['replica-a', 'replica-b'].map((name) =>
        started(replica(store, name, { providers: providersFor(name) })),
      ),
    );
    await sleep(2_500);
    await Promise.all(runtimes.map((r) => r.stop()));

    expect(runs.length).toBeGreaterThan(KINDS.length * 4);
    expect(new Set(runs.map((r) => r.replica))).toEqual(new Set(['replica-a', 'replica-b']));
    for (const kind of KINDS) {
      const mine = runs
        .filter((r) => r.agentId === `prod/us-east-1/${kind}`)
        .sort((a, b) => a.start - b.start);
      for (let i = 1; i < mine.length; i++) {
        // Each run starts after the previous one (on either replica) ended.
        expect(mine[i].start).toBeGreaterThanOrEqual(mine[i - 1].end);
      }
    }
    expect(await store.leases.held()).toEqual(new Map());
  });

  it("runs a killed replica's agent elsewhere once its lease expired, not before", async () => {
    const agentId = 'prod/us-east-1/InstanceCachingAgent';
    await store.schedules.register([
      {
        agentId,
        kind: 'InstanceCachingAgent',
        account: 'prod',
        region: 'us-east-1',
        baseIntervalMs: 200,
        firstRunAt: new Date(),
      },
    ]);
    // The killed replica acquired the agent and never released it.
    const [dead] = await store.leases.acquireDue({ owner: 'killed', ttlMs: 800, limit: 10 });
    expect(dead.agentId).toBe(agentId);

    const runs: RunRecord[] = [];
    await started(
      replica(store, 'survivor', {
        providers: [
          fakeProvider(
            'InstanceCachingAgent',
            (_agent, ctx) => Promise.resolve({ readStartedAt: ctx.now(), resources: [] }),
            {
              runs,
            },
          ),
        ],
      }),
    );
    await eventually(() => Promise.resolve(runs.length > 0), 3_000);
    expect(runs[0].start).toBeGreaterThanOrEqual(dead.expiresAt.getTime() - 5);
    expect(runs[0].start).toBeLessThan(dead.expiresAt.getTime() + 1_000);
  });

  it('does not let a slow full scan overwrite a fresher targeted refresh, nor evict what the refresh found', async () => {
    let releaseScan!: () => void;
    const scanRead = new Promise<void>((resolve) => (releaseScan = resolve));
    let scanStarted!: () => void;
    const scanning = new Promise<void>((resolve) => (scanStarted = resolve));
    const aws = new Map([
      ['i-1', 'running'],
      ['i-3', 'pending'],
    ]);
    const refresher = new FakeInstanceRefresher(aws);
    await started(
      replica(store, 'replica-a', {
        polling: polling({ defaultIntervalSeconds: 600 }),
        providers: [
          fakeProvider('InstanceCachingAgent', async (_agent, ctx) => {
            const readStartedAt = ctx.now();
            scanStarted();
            await scanRead; // the scan read i-1 as pending and knew nothing of i-3
            return {
              readStartedAt,
              resources: [
                instanceRecord('prod', 'us-east-1', 'i-1', 'pending'),
                instanceRecord('prod', 'us-east-1', 'i-2'),
              ],
            };
          }),
        ],
        refreshers: [refresher],
      }),
    );
    await scanning;
    await sleep(5);
    await store.refreshes.enqueue(
      ['i-1', 'i-3'].map((id) => ({
        type: 'instances',
        key: `aws:instances:prod:us-east-1:${id}`,
        account: 'prod',
        region: 'us-east-1',
        origin: 'event' as const,
        requestedAt: new Date(),
        target: { id, idKind: 'instanceId', partial: false },
      })),
    );
    await eventually(async () => (await store.refreshes.countByStatus()).succeeded === 2);
    releaseScan();
    await eventually(async () => (await schedule('prod/us-east-1/InstanceCachingAgent')).lastRun !== null);

    const cached = await store.resources.findByKeys([
      'aws:instances:prod:us-east-1:i-1',
      'aws:instances:prod:us-east-1:i-2',
      'aws:instances:prod:us-east-1:i-3',
    ]);
    expect(
      cached.map((c) => [c.key.split(':').pop(), (c.attributes.state as { name: string }).name]),
    ).toEqual([
      ['i-1', 'running'],
      ['i-2', 'running'],
      ['i-3', 'pending'],
    ]);
    expect((await schedule('prod/us-east-1/InstanceCachingAgent')).lastRun).toMatchObject({
      additions: 1,
      evictions: 0,
    });
  });

  it('runs nonprod accounts slower by their environment multiplier and records why', async () => {
    const staging = { ...PROD, name: 'staging', accountId: '210987654321', environment: 'nonprod' };
    const runs: RunRecord[] = [];
    await started(
      replica(store, 'replica-a', {
        accounts: [PROD, staging],
        polling: polling({ defaultIntervalSeconds: 0.25, environmentMultipliers: { nonprod: 4 } }),
        providers: [
          fakeProvider(
            'InstanceCachingAgent',
            (_a, ctx) => Promise.resolve({ readStartedAt: ctx.now(), resources: [] }),
            {
              runs,
            },
          ),
        ],
      }),
    );
    await sleep(1_600);
    const prod = await schedule('prod/us-east-1/InstanceCachingAgent');
    const nonprod = await schedule('staging/us-east-1/InstanceCachingAgent');
    expect(prod).toMatchObject({
      intervalMs: 250,
      intervalReason: 'base 250ms (polling.defaultIntervalSeconds)',
    });
    expect(nonprod).toMatchObject({
      intervalMs: 1_000,
      intervalReason: 'base 250ms (polling.defaultIntervalSeconds) × 4 (environment nonprod) = 1s',
    });
    for (const s of [prod, nonprod]) {
      // On the agent's slot of its interval: one interval after the start, give or take half of it.
      const gap = s.nextRunAt.getTime() - s.lastRun!.startedAt.getTime();
      expect(Math.abs(gap - s.intervalMs)).toBeLessThanOrEqual(s.intervalMs / 2);
    }
    const count = (account: string) => runs.filter((r) => r.agentId.startsWith(`${account}/`)).length;
    expect(count('prod')).toBeGreaterThanOrEqual(4);
    expect(count('staging')).toBeLessThanOrEqual(2);
  });

  it('backs a throttled account/region off, writes nothing meanwhile, and recovers', async () => {
    const throttle = new Set([2, 3, 4]);
    await started(
      replica(store, 'replica-a', {
        polling: polling({ defaultIntervalSeconds: 0.1 }),
        scheduler: { owner: 'replica-a', maxThrottleFactor: 4 },
        providers: [
          fakeProvider('InstanceCachingAgent', (_agent, ctx, run) =>
            throttle.has(run)
              ? Promise.reject(
                  Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded' }),
                )
              : Promise.resolve({
                  readStartedAt: ctx.now(),
                  resources: [instanceRecord('prod', 'us-east-1', `i-${run}`)],
                }),
          ),
          fakeProvider(
            'VpcCachingAgent',
            (_agent, ctx) => Promise.resolve({ readStartedAt: ctx.now(), resources: [] }),
            {
              types: ['vpcs'],
            },
          ),
        ],
      }),
    );
    const seen: number[] = [];
    const backedOff = await eventually(async () => {
      const rows = await store.schedules.list({ account: 'prod' });
      const factor = rows.find((r) => r.kind === 'InstanceCachingAgent')!.dynamicFactor;
      if (seen[seen.length - 1] !== factor) seen.push(factor);
      return factor === 4 && rows;
    });
    // The whole account/region is backed off, and the throttled runs wrote and evicted nothing.
    expect(backedOff.map((r) => [r.kind, r.dynamicFactor, r.intervalMs])).toEqual([
      ['InstanceCachingAgent', 4, 400],
      ['VpcCachingAgent', 4, 400],
    ]);
    expect((await store.resources.findByKey('aws:instances:prod:us-east-1:i-1'))?.key).toBeDefined();
    expect(backedOff[0].lastRun?.error).toBe('RequestLimitExceeded: Request limit exceeded.');

    const recovered = await eventually(async () => {
      const rows = await store.schedules.list({ account: 'prod' });
      const factor = rows[0].dynamicFactor;
      if (seen[seen.length - 1] !== factor) seen.push(factor);
      return rows.every((r) => r.dynamicFactor === 1) && rows;
    });
    // Doubled per throttled run up to the cap, then walked back (halving) by successes.
    expect(seen.slice(0, 3)).toEqual([1, 2, 4]);
    expect(seen.slice(2)).toEqual([...seen.slice(2)].sort((a, b) => b - a));
    expect(seen[seen.length - 1]).toBe(1);
    expect(recovered.map((r) => [r.intervalMs, r.intervalReason, r.consecutiveThrottles])).toEqual([
      [100, 'base 100ms (polling.defaultIntervalSeconds)', 0],
      [100, 'base 100ms (polling.defaultIntervalSeconds)', 0],
    ]);
    // The last successful run owns the cache again: earlier runs' instances are evicted.
    const cached = await store.resources.list({ type: 'instances' });
    expect(cached.items).toHaveLength(1);
    expect(Number(cached.items[0].key.split('-').pop())).toBeGreaterThanOrEqual(5);
  });

  it('switches to the reconcile interval while the pipeline is healthy, and back to polling when it is not', async () => {
    const runs: RunRecord[] = [];
    await started(
      replica(store, 'replica-a', {
        polling: polling({ defaultIntervalSeconds: 0.2, reconcileIntervalSeconds: 5 }),
        providers: [
          fakeProvider(
            'InstanceCachingAgent',
            (_a, ctx) => Promise.resolve({ readStartedAt: ctx.now(), resources: [] }),
            {
              runs,
            },
          ),
        ],
      }),
    );
    const agentId = 'prod/us-east-1/InstanceCachingAgent';
    await eventually(() => Promise.resolve(runs.length >= 2));
    const healthyUntil = new Date(Date.now() + 1_500);
    await store.pipelineHealth.record([
      { account: 'prod', region: 'us-east-1', at: new Date(), healthyUntil },
    ]);

    const healthy = await eventually(async () => {
      const s = await schedule(agentId);
      return s.intervalMs === 5_000 && s;
    });
    expect(healthy.intervalReason).toBe('reconcile 5s (event pipeline healthy)');
    const runsWhileHealthy = runs.length;
    await sleep(Math.max(0, healthyUntil.getTime() - Date.now() - 100));
    // At most the run that was already due when the heartbeat arrived.
    expect(runs.length - runsWhileHealthy).toBeLessThanOrEqual(1);

    const unhealthy = await eventually(async () => {
      const s = await schedule(agentId);
      return s.intervalMs === 200 && s;
    });
    expect(unhealthy.intervalReason).toBe('base 200ms (polling.defaultIntervalSeconds)');
    // Polling resumes at once (the next run was brought forward), not after the 5 s interval.
    const before = runs.length;
    await eventually(() => Promise.resolve(runs.length >= before + 2), 1_500);
  });

  it('lets an admin override win until it expires, then goes back to the computed interval', async () => {
    const runs: RunRecord[] = [];
    await started(
      replica(store, 'replica-a', {
        polling: polling({ defaultIntervalSeconds: 5 }),
        providers: [
          fakeProvider(
            'InstanceCachingAgent',
            (_a, ctx) => Promise.resolve({ readStartedAt: ctx.now(), resources: [] }),
            {
              runs,
            },
          ),
        ],
      }),
    );
    const agentId = 'prod/us-east-1/InstanceCachingAgent';
    await eventually(() => Promise.resolve(runs.length === 1));
    const expiresAt = new Date(Date.now() + 1_200);
    await store.schedules.setOverride(
      { agentIdGlob: agentId },
      { intervalMs: 150, expiresAt, setBy: 'alice', reason: 'deploy watch' },
    );
    const overridden = await eventually(async () => {
      const s = await schedule(agentId);
      return s.intervalMs === 150 && s;
    });
    expect(overridden.intervalReason).toBe(
      `override 150ms by alice until ${expiresAt.toISOString()}: deploy watch`,
    );
    // The next run was brought forward from 5 s away.
    await eventually(() => Promise.resolve(runs.length >= 4), 1_500);

    const expired = await eventually(async () => {
      const s = await schedule(agentId);
      return s.intervalMs === 5_000 && s;
    });
    expect(expired.intervalReason).toBe('base 5s (polling.defaultIntervalSeconds)');
  });
});
