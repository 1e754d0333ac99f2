import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import { openCacheStore, type CacheStore } from '../cache-store';

const KINDS = ['InstanceCachingAgent', 'ClusterCachingAgent', 'SecurityGroupCachingAgent'];

describe('AgentScheduleRepository matching several kinds and respecting who set an override', () => {
  let db: TestDatabase;
  let store: CacheStore;
  let close: () => Promise<void>;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ store, close } = await openCacheStore(db.url, { poolSize: 2 }));
  });
  afterAll(async () => {
    await close();
    await db.drop();
  });
  beforeEach(async () => {
    await db.sql('TRUNCATE agent_schedule');
    await store.schedules.register(
      KINDS.map((kind) => ({
        agentId: `prod/us-east-1/${kind}`,
        kind,
        account: 'prod',
        region: 'us-east-1',
        baseIntervalMs: 30_000,
        firstRunAt: new Date(Date.now() + 3_600_000),
      })),
    );
  });

  it('matches any of several kinds in one statement; an empty list matches nothing', async () => {
    const ids = await store.schedules.runNow({
      account: 'prod',
      kinds: ['InstanceCachingAgent', 'SecurityGroupCachingAgent'],
    });
    expect(ids.sort()).toEqual([
      'prod/us-east-1/InstanceCachingAgent',
      'prod/us-east-1/SecurityGroupCachingAgent',
    ]);
    expect(await store.schedules.runNow({ kinds: [] })).toEqual([]);
  });

  it('lets event-driven changes set and clear only overrides nobody else set', async () => {
    await store.schedules.setOverride(
      { agentIdGlob: 'prod/us-east-1/ClusterCachingAgent' },
      { intervalMs: 5_000, setBy: 'admin:alice', reason: 'incident' },
    );
    const eventMatch = { account: 'prod', region: 'us-east-1', kinds: KINDS, overrideSetByPrefix: 'event:' };

    const set = await store.schedules.setOverride(eventMatch, {
      factor: 2,
      expiresAt: new Date(Date.now() + 3_600_000),
      setBy: 'event:e-1',
      reason: 'aws_health:open',
    });
    expect(set.sort()).toEqual([
      'prod/us-east-1/InstanceCachingAgent',
      'prod/us-east-1/SecurityGroupCachingAgent',
    ]);

    // A later event replaces its own kind's override; the admin's is untouched.
    const cleared = await store.schedules.clearOverride(eventMatch);
    expect(cleared.sort()).toEqual(set.sort());
    const byId = new Map((await store.schedules.list()).map((a) => [a.agentId, a.override]));
    expect(byId.get('prod/us-east-1/ClusterCachingAgent')).toMatchObject({
      intervalMs: 5_000,
      setBy: 'admin:alice',
    });
    expect(byId.get('prod/us-east-1/InstanceCachingAgent')).toBeNull();
  });

  it('treats LIKE wildcards in the prefix literally', async () => {
    await store.schedules.setOverride(
      { kind: 'InstanceCachingAgent' },
      { factor: 3, setBy: 'eventXsomething', reason: 'not an event' },
    );
    expect(
      await store.schedules.clearOverride({ kind: 'InstanceCachingAgent', overrideSetByPrefix: 'event_' }),
    ).toEqual([]);
  });
});
