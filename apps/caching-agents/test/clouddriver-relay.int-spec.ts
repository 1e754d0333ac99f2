import { type CacheStore, openCacheStore } from '@event-cache/cache-store';
import {
  CatsDatabase,
  ClouddriverCache,
  ClouddriverProjection,
  OUTBOX_TABLE,
} from '@event-cache/clouddriver-projection';
import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import { ACCOUNT } from './support/clouddriver-harness';

const SG = 'aws:serverGroups:app-main:prod:us-east-1:app-main-v001';
const INSTANCE = 'aws:instances:prod:us-east-1:i-0000000000000000a';

describe("Clouddriver projection into Clouddriver's own database (outbox and relay, PostgreSQL)", () => {
  let ours: TestDatabase;
  let clouddrivers: TestDatabase;
  let cache: ClouddriverCache;
  let store: CacheStore;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ours = await createTestDatabase();
    clouddrivers = await createTestDatabase();
    cache = new ClouddriverCache(
      new ClouddriverProjection({ accounts: [ACCOUNT] }),
      new CatsDatabase(clouddrivers.url, { poolSize: 2 }),
    );
    ({ store, close } = await openCacheStore(ours.url, { projection: cache.port, poolSize: 2 }));
  });
  afterAll(async () => {
    await close();
    await cache.close();
    await ours.drop();
    await clouddrivers.drop();
  });

  const relay = () => cache.relay((work) => store.projectionTransaction(work))!;
  const ids = async (table: string) =>
    (await clouddrivers.sql<{ id: string }>(`SELECT id FROM ${table} ORDER BY id`)).map((r) => r.id);

  it("creates Clouddriver's tables in Clouddriver's database and the outbox in the cache's", async () => {
    expect(await clouddrivers.sql(`SELECT to_regclass('cats_v1_servergroups') IS NOT NULL AS t`)).toEqual([
      { t: true },
    ]);
    expect(await ours.sql(`SELECT to_regclass('cats_v1_servergroups') IS NOT NULL AS t`)).toEqual([
      { t: false },
    ]);
    expect(await ours.sql(`SELECT to_regclass('${OUTBOX_TABLE}') IS NOT NULL AS t`)).toEqual([{ t: true }]);
  });

  it('records writes in the outbox with the cache and relays them once, then evictions', async () => {
    await store.resources.write(
      [
        {
          key: SG,
          type: 'serverGroups',
          account: 'prod',
          region: 'us-east-1',
          application: 'app',
          attributes: {
            name: 'app-main-v001',
            region: 'us-east-1',
            asg: { autoScalingGroupName: 'app-main-v001' },
          },
          relationships: {
            clusters: ['aws:clusters:app:prod:app-main'],
            applications: ['aws:applications:app'],
            instances: [INSTANCE],
          },
        },
        {
          key: INSTANCE,
          type: 'instances',
          account: 'prod',
          region: 'us-east-1',
          application: 'app',
          attributes: {
            instanceId: 'i-0000000000000000a',
            imageId: 'ami-1',
            state: { code: 16, name: 'running' },
          },
          relationships: { serverGroups: [SG] },
        },
      ],
      { fetchedAt: new Date() },
    );
    expect(await ours.sql(`SELECT count(*)::int AS n FROM ${OUTBOX_TABLE}`)).toEqual([{ n: 1 }]);
    expect(await ids('cats_v1_servergroups')).toEqual([]);

    expect(await relay().drain()).toBe(1);
    expect(await ids('cats_v1_servergroups')).toEqual([SG]);
    expect(await ids('cats_v1_instances')).toEqual([INSTANCE]);
    expect(await ids('cats_v1_clusters')).toEqual(['aws:clusters:app:prod:app-main']);
    expect(await ours.sql(`SELECT count(*)::int AS n FROM ${OUTBOX_TABLE}`)).toEqual([{ n: 0 }]);
    expect(await relay().drain()).toBe(0);

    await store.resources.evict([INSTANCE], new Date());
    await relay().drain();
    expect(await ids('cats_v1_instances')).toEqual([]);
    expect(
      await clouddrivers.sql(`SELECT id FROM cats_v1_servergroups_rel WHERE rel_id = $1`, [INSTANCE]),
    ).toEqual([]);
  });

  it('projects what the cache holds when the relay runs, not what the outbox row said', async () => {
    const key = 'aws:vpcs:vpc-0a1b2c3d4e5f60718:prod:us-east-1';
    const vpc = (cidrBlock: string) => ({
      key,
      type: 'vpcs',
      account: 'prod',
      region: 'us-east-1',
      attributes: { vpcId: 'vpc-0a1b2c3d4e5f60718', cidrBlock },
    });
    await store.resources.write([vpc('10.0.0.0/16')], { fetchedAt: new Date(Date.now() - 1_000) });
    await store.resources.write([vpc('10.1.0.0/16')], { fetchedAt: new Date() });
    expect(await relay().drain()).toBe(2);
    const [row] = await clouddrivers.sql<{ body: string }>(`SELECT body FROM cats_v1_vpcs`);
    expect(JSON.parse(row.body).attributes.cidrBlock).toBe('10.1.0.0/16');
  });

  it('writes onDemand rows through the outbox too', async () => {
    await store.refreshes.enqueue([
      {
        type: 'serverGroups',
        key: SG,
        account: 'prod',
        region: 'us-east-1',
        origin: 'on-demand',
        requestedAt: new Date(),
        target: { id: 'app-main-v001', idKind: 'autoScalingGroupName', partial: false },
      },
    ]);
    await relay().drain();
    expect(await ids('cats_v1_ondemand')).toEqual([SG]);
  });
});
