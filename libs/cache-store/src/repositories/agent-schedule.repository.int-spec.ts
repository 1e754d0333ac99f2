import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import { openCacheStore, type CacheStore } from '../cache-store';
import type { AgentRegistration } from './agent-schedule.repository';

const HOUR = 3_600_000;

function agent(account: string, region: string, kind: string, firstRunAt = new Date(Date.now() + HOUR)) {
  return {
    agentId: `${account}/${region}/${kind}`,
    kind,
    account,
    region,
    baseIntervalMs: 30_000,
    firstRunAt,
  } satisfies AgentRegistration;
}

const FLEET = [
  agent('prod', 'us-east-1', 'InstanceCachingAgent'),
  agent('prod', 'us-east-1', 'ClusterCachingAgent'),
  agent('prod', 'us-west-2', 'InstanceCachingAgent'),
  agent('staging', 'us-east-1', 'InstanceCachingAgent'),
  agent('prod_eu', 'eu-west-1', 'InstanceCachingAgent'),
];

describe('AgentScheduleRepository', () => {
  let db: TestDatabase;
  let store: CacheStore;
  let close: () => Promise<void>;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ store, close } = await openCacheStore(db.url, { poolSize: 4 }));
  });
  afterAll(async () => {
    await close();
    await db.drop();
  });
  beforeEach(async () => {
    await db.sql('TRUNCATE agent_schedule, agent_lease');
    await store.schedules.register(FLEET);
  });

  const ids = async (match: Parameters<CacheStore['schedules']['list']>[0]) =>
    (await store.schedules.list(match)).map((s) => s.agentId);
  const one = async (agentId: string) => (await store.schedules.list({ agentIdGlob: agentId }))[0];

  describe('register', () => {
    it('takes the last of duplicate registrations in one call', async () => {
      const [first] = FLEET;
      await store.schedules.register([
        {
          ...first,
          agentId: 'prod/eu-west-1/InstanceCachingAgent',
          region: 'eu-west-1',
          baseIntervalMs: 10_000,
        },
        {
          ...first,
          agentId: 'prod/eu-west-1/InstanceCachingAgent',
          region: 'eu-west-1',
          baseIntervalMs: 20_000,
        },
      ]);
      expect((await one('prod/eu-west-1/InstanceCachingAgent')).baseIntervalMs).toBe(20_000);
    });

    it('adds new agents with their base interval and first run', async () => {
      expect(await one('prod/us-east-1/InstanceCachingAgent')).toEqual({
        agentId: 'prod/us-east-1/InstanceCachingAgent',
        provider: 'aws',
        kind: 'InstanceCachingAgent',
        account: 'prod',
        region: 'us-east-1',
        baseIntervalMs: 30_000,
        intervalMs: 30_000,
        intervalReason: 'base',
        nextRunAt: FLEET[0].firstRunAt,
        paused: false,
        override: null,
        dynamicFactor: 1,
        consecutiveThrottles: 0,
        lastRun: null,
        totalAdditions: 0,
        totalEvictions: 0,
      });
    });

    it('keeps the next run, overrides and pause of agents it already knows', async () => {
      const id = 'prod/us-east-1/InstanceCachingAgent';
      await store.schedules.setOverride(
        { agentIdGlob: id },
        { intervalMs: 300_000, setBy: 'ops@example.com', reason: 'incident-4711' },
      );
      await store.schedules.setPaused({ agentIdGlob: id }, true);

      // A restarted replica registers the fleet again, with new first-run times and a new base.
      await store.schedules.register([
        { ...FLEET[0], baseIntervalMs: 60_000, firstRunAt: new Date(Date.now() - HOUR) },
        agent('prod', 'ap-south-1', 'InstanceCachingAgent'),
      ]);

      const kept = await one(id);
      expect(kept.nextRunAt).toEqual(FLEET[0].firstRunAt);
      expect(kept.baseIntervalMs).toBe(60_000);
      expect(kept.paused).toBe(true);
      expect(kept.override).toMatchObject({ intervalMs: 300_000, setBy: 'ops@example.com' });
      expect(await store.schedules.list()).toHaveLength(FLEET.length + 1);
      await store.schedules.register([]);
    });
  });

  describe('matching', () => {
    it('lists by id glob, account, region and kind (all given fields must match), in id order', async () => {
      expect(await ids({})).toEqual(FLEET.map((a) => a.agentId).sort());
      expect(await ids({ agentIdGlob: 'prod/*/InstanceCachingAgent' })).toEqual([
        'prod/us-east-1/InstanceCachingAgent',
        'prod/us-west-2/InstanceCachingAgent',
      ]);
      expect(await ids({ account: 'prod', region: 'us-east-1' })).toEqual([
        'prod/us-east-1/ClusterCachingAgent',
        'prod/us-east-1/InstanceCachingAgent',
      ]);
      expect(await ids({ kind: 'InstanceCachingAgent', region: 'us-east-1' })).toEqual([
        'prod/us-east-1/InstanceCachingAgent',
        'staging/us-east-1/InstanceCachingAgent',
      ]);
      expect(await ids({ agentIdGlob: '*', account: 'nope' })).toEqual([]);
    });

    it('takes _ and % in an id glob literally', async () => {
      expect(await ids({ agentIdGlob: 'prod_*' })).toEqual(['prod_eu/eu-west-1/InstanceCachingAgent']);
      expect(await ids({ agentIdGlob: 'prod%' })).toEqual([]);
    });
  });

  describe('admin changes', () => {
    it('refuses an override that names neither an interval nor a factor, or both', async () => {
      const who = { setBy: 'ops@example.com', reason: 'typo' };
      await expect(store.schedules.setOverride({ account: 'prod' }, who)).rejects.toThrow(RangeError);
      await expect(
        store.schedules.setOverride({ account: 'prod' }, { ...who, factor: 2, intervalMs: 1 }),
      ).rejects.toThrow(RangeError);
      expect((await store.schedules.list({ account: 'prod' })).every((s) => s.override === null)).toBe(true);
    });

    it('sets and clears interval overrides on matched agents', async () => {
      const expiresAt = new Date(Date.now() + HOUR);
      const set = await store.schedules.setOverride(
        { account: 'prod', kind: 'InstanceCachingAgent' },
        { factor: 4, expiresAt, setBy: 'ops@example.com', reason: 'rate-exceeded' },
      );
      expect(set.sort()).toEqual([
        'prod/us-east-1/InstanceCachingAgent',
        'prod/us-west-2/InstanceCachingAgent',
      ]);
      expect((await one('prod/us-west-2/InstanceCachingAgent')).override).toEqual({
        intervalMs: null,
        factor: 4,
        expiresAt,
        setBy: 'ops@example.com',
        reason: 'rate-exceeded',
      });
      expect((await one('staging/us-east-1/InstanceCachingAgent')).override).toBeNull();

      // Clearing reports only the agents that had an override.
      expect(await store.schedules.clearOverride({ region: 'us-west-2' })).toEqual([
        'prod/us-west-2/InstanceCachingAgent',
      ]);
      expect(await store.schedules.clearOverride({ region: 'us-west-2' })).toEqual([]);
      expect((await one('prod/us-west-2/InstanceCachingAgent')).override).toBeNull();
      expect((await one('prod/us-east-1/InstanceCachingAgent')).override?.factor).toBe(4);
    });

    it('pauses and resumes matched agents; a paused agent is never leased', async () => {
      const paused = await store.schedules.setPaused({ account: 'staging' }, true);
      expect(paused).toEqual(['staging/us-east-1/InstanceCachingAgent']);
      expect((await one(paused[0])).paused).toBe(true);

      await store.schedules.runNow({});
      const leased = await store.leases.acquireDue({ owner: 'replica-a', ttlMs: 60_000, limit: 100 });
      expect(leased.map((l) => l.agentId)).not.toContain(paused[0]);
      expect(leased).toHaveLength(FLEET.length - 1);

      expect(await store.schedules.setPaused({ account: 'staging' }, false)).toEqual(paused);
      expect((await one(paused[0])).paused).toBe(false);
    });

    it('runNow makes matched agents due at once', async () => {
      const before = Date.now();
      const due = await store.schedules.runNow({ agentIdGlob: '*/us-east-1/*' });
      expect(due.sort()).toEqual([
        'prod/us-east-1/ClusterCachingAgent',
        'prod/us-east-1/InstanceCachingAgent',
        'staging/us-east-1/InstanceCachingAgent',
      ]);
      const next = (await one('prod/us-east-1/ClusterCachingAgent')).nextRunAt.getTime();
      expect(next).toBeGreaterThanOrEqual(before - 1_000);
      expect(next).toBeLessThanOrEqual(Date.now() + 1_000);
      expect((await one('prod/us-west-2/InstanceCachingAgent')).nextRunAt).toEqual(FLEET[2].firstRunAt);

      const leased = await store.leases.acquireDue({ owner: 'replica-a', ttlMs: 60_000, limit: 100 });
      expect(leased.map((l) => l.agentId).sort()).toEqual(due.sort());
    });
  });

  describe('updateIntervals', () => {
    it('records the computed interval of many agents at once, ignoring unknown agents', async () => {
      await store.schedules.updateIntervals([
        {
          agentId: 'prod/us-east-1/InstanceCachingAgent',
          intervalMs: 120_000.4,
          reason: 'throttled',
          dynamicFactor: 4,
          consecutiveThrottles: 2,
        },
        {
          agentId: 'staging/us-east-1/InstanceCachingAgent',
          intervalMs: 600_000,
          reason: 'event-pipeline-healthy',
          dynamicFactor: 1,
          consecutiveThrottles: 0,
        },
        {
          agentId: 'prod/sa-east-1/Unknown',
          intervalMs: 1,
          reason: 'base',
          dynamicFactor: 1,
          consecutiveThrottles: 0,
        },
      ]);

      expect(await one('prod/us-east-1/InstanceCachingAgent')).toMatchObject({
        intervalMs: 120_000,
        intervalReason: 'throttled',
        dynamicFactor: 4,
        consecutiveThrottles: 2,
        baseIntervalMs: 30_000,
      });
      expect(await one('staging/us-east-1/InstanceCachingAgent')).toMatchObject({
        intervalMs: 600_000,
        intervalReason: 'event-pipeline-healthy',
      });
      expect(await one('prod/us-west-2/InstanceCachingAgent')).toMatchObject({ intervalMs: 30_000 });
      expect(await store.schedules.list()).toHaveLength(FLEET.length);
      await store.schedules.updateIntervals([]);
    });
  });

  describe('bringForward', () => {
    it('moves next runs earlier, never later, skipping paused and unknown agents', async () => {
      const soon = new Date(Date.now() + 5_000);
      await store.schedules.setPaused({ agentIdGlob: 'staging/*' }, true);
      const moved = await store.schedules.bringForward([
        { agentId: 'prod/us-east-1/InstanceCachingAgent', runBy: soon },
        { agentId: 'prod/us-east-1/InstanceCachingAgent', runBy: new Date(Date.now() + 10_000) },
        { agentId: 'prod/us-east-1/ClusterCachingAgent', runBy: new Date(Date.now() + 2 * HOUR) },
        { agentId: 'staging/us-east-1/InstanceCachingAgent', runBy: soon },
        { agentId: 'nobody/us-east-1/InstanceCachingAgent', runBy: soon },
      ]);

      expect(moved).toEqual(['prod/us-east-1/InstanceCachingAgent']);
      expect((await one('prod/us-east-1/InstanceCachingAgent')).nextRunAt).toEqual(soon);
      const later = (await one('prod/us-east-1/ClusterCachingAgent')).nextRunAt.getTime();
      expect(later).toBeLessThan(Date.now() + HOUR + 1_000);
      expect((await one('staging/us-east-1/InstanceCachingAgent')).nextRunAt.getTime()).toBeGreaterThan(
        Date.now() + HOUR - 60_000,
      );
      expect(await store.schedules.bringForward([])).toEqual([]);
    });
  });

  describe('introspection', () => {
    it('lists most recently started agents first, never-run agents last', async () => {
      await store.schedules.runNow({ account: 'prod' });
      const leases = await store.leases.acquireDue({ owner: 'replica-a', ttlMs: 60_000, limit: 100 });
      const startedAgo: Record<string, number> = {
        'prod/us-east-1/InstanceCachingAgent': 30_000,
        'prod/us-east-1/ClusterCachingAgent': 5_000,
        'prod/us-west-2/InstanceCachingAgent': 60_000,
      };
      const released = await store.leases.release(
        'replica-a',
        leases.map((l) => ({
          ...l,
          nextRunAt: new Date(Date.now() + 30_000),
          run: {
            startedAt: new Date(Date.now() - startedAgo[l.agentId]),
            durationMs: 900,
            additions: 12,
            evictions: 1,
            error: null,
          },
        })),
      );
      expect(released.ok).toHaveLength(3);

      const order = (await store.schedules.introspection()).map((s) => s.agentId);
      expect(order).toEqual([
        'prod/us-east-1/ClusterCachingAgent',
        'prod/us-east-1/InstanceCachingAgent',
        'prod/us-west-2/InstanceCachingAgent',
        'prod_eu/eu-west-1/InstanceCachingAgent',
        'staging/us-east-1/InstanceCachingAgent',
      ]);
      expect((await store.schedules.introspection())[0].lastRun).toMatchObject({
        durationMs: 900,
        additions: 12,
        evictions: 1,
      });
    });
  });
});
