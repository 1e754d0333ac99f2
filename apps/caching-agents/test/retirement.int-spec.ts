import type { AgentAccount, AgentRuntime } from '@event-cache/agents';
import { type CacheStore, openCacheStore } from '@event-cache/cache-store';
import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import { eventually, fakeProvider, instanceRecord, PROD, replica } from './support/fake-agents';

/** The old configuration: prod in two regions. The new one (PROD) drops us-west-2. */
const BOTH_REGIONS: AgentAccount = { ...PROD, regions: [{ name: 'us-east-1' }, { name: 'us-west-2' }] };
/** Short enough for a test, long enough that a live replica on a busy machine affirms in time. */
const RETIRE_AFTER_MS = 4_000;

describe('caching-agents retires the agents of regions removed from the configuration (real PostgreSQL)', () => {
  let db: TestDatabase;
  const stores: { store: CacheStore; close: () => Promise<void> }[] = [];
  let runtimes: AgentRuntime[] = [];

  /** A replica on its own connection pool, whose agents cache one instance of their region. */
  const start = async (name: string, account: AgentAccount) => {
    const opened = await openCacheStore(db.url, { poolSize: 3 });
    stores.push(opened);
    const runtime = replica(opened.store, name, {
      accounts: [account],
      providers: [
        fakeProvider('InstanceCachingAgent', (agent, ctx) =>
          Promise.resolve({
            readStartedAt: ctx.now(),
            resources: [instanceRecord(agent.account, agent.region, `i-${agent.region}`)],
          }),
        ),
      ],
      scheduler: { owner: name, retireAfterMs: RETIRE_AFTER_MS },
      runRefreshWorker: false,
    });
    runtimes.push(runtime);
    await runtime.start();
    return { runtime, store: opened.store };
  };
  const stop = async (runtime: AgentRuntime) => {
    await runtime.stop();
    runtimes = runtimes.filter((r) => r !== runtime);
  };
  const agentIds = async () =>
    (await db.sql<{ agent_id: string }>(`SELECT agent_id FROM agent_schedule ORDER BY agent_id`)).map(
      (r) => r.agent_id,
    );
  const cachedKeys = async () =>
    (await db.sql<{ key: string }>(`SELECT key FROM cached_resource ORDER BY key`)).map((r) => r.key);
  const bothCached = async () => (await cachedKeys()).length === 2;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });
  beforeEach(() => db.sql('TRUNCATE agent_schedule, agent_lease, cached_resource, cached_relationship'));
  afterEach(async () => {
    await Promise.all(runtimes.map((r) => r.stop()));
    runtimes = [];
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  it('drops them from /admin/agents and /cache/introspection after a restart, with what they cached', async () => {
    const { runtime: old } = await start('old', BOTH_REGIONS);
    await eventually(bothCached);
    await stop(old);

    const { store } = await start('new', PROD);
    await eventually(
      async () => !(await agentIds()).includes('prod/us-west-2/InstanceCachingAgent'),
      4 * RETIRE_AFTER_MS,
    );
    // What gate-endpoint's /admin/agents and /cache/introspection list.
    expect((await store.schedules.list()).map((s) => s.agentId)).toEqual([
      'prod/us-east-1/InstanceCachingAgent',
    ]);
    expect((await store.schedules.introspection()).map((s) => s.agentId)).toEqual([
      'prod/us-east-1/InstanceCachingAgent',
    ]);
    expect(await cachedKeys()).toEqual(['aws:instances:prod:us-east-1:i-us-east-1']);
  });

  it('keeps them while a replica with the old configuration still runs (a rolling deploy), then retires them', async () => {
    const { runtime: old } = await start('old', BOTH_REGIONS);
    await eventually(bothCached);
    const { store } = await start('new', PROD);
    const sweeps = jest.spyOn(store.schedules, 'retireUnseen');
    // The new replica has swept three times since it may (after running for the window itself).
    await eventually(() => Promise.resolve(sweeps.mock.results.length >= 3), 4 * RETIRE_AFTER_MS);
    await Promise.all(sweeps.mock.results.map((r) => r.value as Promise<unknown>));
    expect(await agentIds()).toEqual([
      'prod/us-east-1/InstanceCachingAgent',
      'prod/us-west-2/InstanceCachingAgent',
    ]);
    expect(await cachedKeys()).toHaveLength(2);

    await stop(old);
    await eventually(
      async () => (await agentIds()).length === 1 && (await cachedKeys()).length === 1,
      4 * RETIRE_AFTER_MS,
    );
    expect(await agentIds()).toEqual(['prod/us-east-1/InstanceCachingAgent']);
    expect(await cachedKeys()).toEqual(['aws:instances:prod:us-east-1:i-us-east-1']);
  });
});
