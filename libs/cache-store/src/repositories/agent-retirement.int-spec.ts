import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import { openCacheStore, type CacheStore } from '../cache-store';
import type { AgentRegistration } from './agent-schedule.repository';
import type { ResourceRecord } from './cached-resource.repository';

const HOUR = 3_600_000;

function agent(region: string, kind: string): AgentRegistration {
  return {
    agentId: `prod/${region}/${kind}`,
    kind,
    account: 'prod',
    region,
    baseIntervalMs: 30_000,
    firstRunAt: new Date(Date.now() + HOUR),
  };
}

const EAST = [agent('us-east-1', 'InstanceCachingAgent'), agent('us-east-1', 'ClusterCachingAgent')];
const WEST = [agent('us-west-2', 'InstanceCachingAgent'), agent('us-west-2', 'ClusterCachingAgent')];

const instance = (region: string, id: string): ResourceRecord => ({
  key: `aws:instances:prod:${region}:${id}`,
  type: 'instances',
  account: 'prod',
  region,
  attributes: { instanceId: id },
});

/** A server group of a region in the cluster `app-main`, whose key has no region. */
const serverGroup = (region: string, name: string): ResourceRecord => ({
  key: `aws:serverGroups:app-main:prod:${region}:${name}`,
  type: 'serverGroups',
  account: 'prod',
  region,
  attributes: { name },
  relationships: { clusters: ['aws:clusters:app:prod:app-main'] },
});

const cluster = (name: string): ResourceRecord => ({
  key: `aws:clusters:app:prod:${name}`,
  type: 'clusters',
  account: 'prod',
  region: null,
  attributes: { name },
});

describe('retiring agents no configuration has any more (real PostgreSQL)', () => {
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
    await db.sql('TRUNCATE agent_schedule, agent_lease, cached_resource, cached_relationship');
    await store.schedules.register([...EAST, ...WEST]);
    const write = (agentId: string, resources: ResourceRecord[]) =>
      store.resources.write(resources, { fetchedAt: new Date(), agent: agentId });
    await write('prod/us-east-1/InstanceCachingAgent', [instance('us-east-1', 'i-east')]);
    await write('prod/us-west-2/InstanceCachingAgent', [instance('us-west-2', 'i-west')]);
    // The us-west-2 run wrote the cluster last: it owns it, though us-east-1 has a server group in it.
    await write('prod/us-east-1/ClusterCachingAgent', [serverGroup('us-east-1', 'app-main-v001')]);
    await write('prod/us-west-2/ClusterCachingAgent', [
      serverGroup('us-west-2', 'app-main-v002'),
      cluster('app-main'),
      cluster('app-west-only'),
    ]);
  });

  /** As if the us-west-2 agents were last registered two hours ago (no replica has them since). */
  const westUnseenForTwoHours = () =>
    db.sql(`UPDATE agent_schedule SET seen_at = now() - interval '2 hours' WHERE region = 'us-west-2'`);
  const agentIds = async () => (await store.schedules.list()).map((s) => s.agentId);
  const cachedKeys = async () =>
    (await db.sql<{ key: string }>(`SELECT key FROM cached_resource ORDER BY key`)).map((r) => r.key);

  it('deletes the schedule rows of unseen agents and what they cached, and nothing else', async () => {
    await westUnseenForTwoHours();
    await expect(store.schedules.retireUnseen({ unseenForMs: HOUR })).resolves.toEqual({
      agentIds: ['prod/us-west-2/ClusterCachingAgent', 'prod/us-west-2/InstanceCachingAgent'],
      evicted: 3,
    });
    expect(await agentIds()).toEqual(EAST.map((a) => a.agentId).sort());
    expect((await store.schedules.introspection()).map((s) => s.region)).toEqual(['us-east-1', 'us-east-1']);
    // The cluster us-east-1 still has a server group in stays (its next writer takes it over);
    // the one only us-west-2 had goes, with the us-west-2 instance and server group.
    expect(await cachedKeys()).toEqual([
      'aws:clusters:app:prod:app-main',
      'aws:instances:prod:us-east-1:i-east',
      'aws:serverGroups:app-main:prod:us-east-1:app-main-v001',
    ]);
    expect(await db.sql(`SELECT source_key FROM cached_relationship ORDER BY source_key`)).toEqual([
      { source_key: 'aws:serverGroups:app-main:prod:us-east-1:app-main-v001' },
    ]);
    // Nothing is left to retire.
    await expect(store.schedules.retireUnseen({ unseenForMs: HOUR })).resolves.toEqual({
      agentIds: [],
      evicted: 0,
    });
  });

  it('keeps agents seen within the window, and an unseen agent whose lease is live', async () => {
    await expect(store.schedules.retireUnseen({ unseenForMs: HOUR })).resolves.toEqual({
      agentIds: [],
      evicted: 0,
    });
    await westUnseenForTwoHours();
    await store.leases.acquire({ owner: 'replica-a', ttlMs: 60_000, agentIds: [WEST[0].agentId] });
    await store.leases.acquire({ owner: 'replica-gone', ttlMs: 60_000, agentIds: [WEST[1].agentId] });
    await db.sql(
      `UPDATE agent_lease SET expires_at = now() - interval '1 minute' WHERE owner = 'replica-gone'`,
    );
    const retired = await store.schedules.retireUnseen({ unseenForMs: HOUR });
    expect(retired.agentIds).toEqual([WEST[1].agentId]);
    expect(await agentIds()).toContain(WEST[0].agentId);
    // The expired lease went with its agent; the live one stays.
    expect(await db.sql(`SELECT agent_id, owner FROM agent_lease`)).toEqual([
      { agent_id: WEST[0].agentId, owner: 'replica-a' },
    ]);
  });

  it('re-affirms agents at most once per window, and registers a retired agent again', async () => {
    await westUnseenForTwoHours();
    const seenAt = async (agentId: string): Promise<Date> =>
      (
        await db.sql<{ seen_at: Date }>(`SELECT seen_at FROM agent_schedule WHERE agent_id = $1`, [agentId])
      )[0].seen_at;
    const eastBefore = await seenAt(EAST[0].agentId);
    await store.schedules.register([...EAST, ...WEST], { affirmAfterMs: 10 * 60_000 });
    // Seen two hours ago: affirmed now. Seen a moment ago: not rewritten.
    expect((await seenAt(WEST[0].agentId)).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(await seenAt(EAST[0].agentId)).toEqual(eastBefore);
    await expect(store.schedules.retireUnseen({ unseenForMs: HOUR })).resolves.toMatchObject({
      agentIds: [],
    });

    await westUnseenForTwoHours();
    await store.schedules.retireUnseen({ unseenForMs: HOUR });
    await store.schedules.register(WEST, { affirmAfterMs: 10 * 60_000 });
    expect(await agentIds()).toEqual([...EAST, ...WEST].map((a) => a.agentId).sort());
  });

  it('retires each agent once when two replicas sweep at the same time', async () => {
    await westUnseenForTwoHours();
    const { store: other, close: closeOther } = await openCacheStore(db.url, { poolSize: 1 });
    try {
      const [a, b] = await Promise.all([
        store.schedules.retireUnseen({ unseenForMs: HOUR }),
        other.schedules.retireUnseen({ unseenForMs: HOUR }),
      ]);
      expect([...a.agentIds, ...b.agentIds].sort()).toEqual(WEST.map((w) => w.agentId).sort());
      expect(a.evicted + b.evicted).toBe(3);
    } finally {
      await closeOther();
    }
  });
});
