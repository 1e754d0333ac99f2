import type { INestApplication } from '@nestjs/common';
import { openCacheStore, type CacheStore } from '@event-cache/cache-store';
import { startService } from '@event-cache/platform';
import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import { service } from '../src/service';
import { ADMIN_TOKEN, BASE_CONFIG, call, eventually, writeConfig } from './support';

const SG = 'aws:serverGroups:app-main:prod:us-east-1:app-main-v001';

describe('gate-endpoint with the Clouddriver cache projection (booted against PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let baseUrl: string;
  let store: CacheStore;
  let closeStore: () => Promise<void>;
  const admin = (method: string, path: string) =>
    call(baseUrl, method, path, undefined, { authorization: `Bearer ${ADMIN_TOKEN}` });

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startService(service, {
      DATABASE_URL: db.url,
      EVENT_CACHE_CONFIG: writeConfig(`${BASE_CONFIG}\nclouddriver:\n  cache:\n    enabled: true\n`),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
    });
    baseUrl = await app.getUrl();
    ({ store, close: closeStore } = await openCacheStore(db.url, { poolSize: 2 }));
  });
  afterAll(async () => {
    await app?.close();
    await closeStore?.();
    await db?.drop();
  });

  it("creates Clouddriver's tables at start-up", async () => {
    const tables = await db.sql<{ name: string }>(
      `SELECT tablename AS name FROM pg_tables WHERE tablename LIKE 'cats_v1_%' ORDER BY 1`,
    );
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(['cats_v1_ondemand', 'cats_v1_servergroups_rel']),
    );
  });

  it("writes the onDemand row Clouddriver's cache controller lists for Orca when Orca forces a refresh", async () => {
    const before = Date.now();
    const post = await call(baseUrl, 'POST', '/cache/aws/ServerGroup', {
      serverGroupName: 'app-main-v001',
      asgName: 'app-main-v001',
      account: 'prod',
      region: 'us-east-1',
    });
    expect(post.status).toBe(202);
    const [row] = await db.sql<{ id: string; agent: string; body: string }>(
      `SELECT id, agent, body FROM cats_v1_ondemand`,
    );
    expect(row).toMatchObject({ id: SG, agent: 'onDemand' });
    const body = JSON.parse(row.body) as { attributes: Record<string, unknown>; ttlSeconds: number };
    expect(body.ttlSeconds).toBe(600);
    expect(body.attributes.cacheTime).toBeGreaterThanOrEqual(before - 1_000);
    expect(body.attributes.processedTime).toBeUndefined();
  });

  it('rebuilds the projection from the cache in the background, once at a time', async () => {
    await store.resources.write(
      [
        {
          key: 'aws:vpcs:vpc-0a1b2c3d4e5f60718:prod:us-east-1',
          type: 'vpcs',
          account: 'prod',
          region: 'us-east-1',
          attributes: { vpcId: 'vpc-0a1b2c3d4e5f60718', cidrBlock: '10.0.0.0/16', state: 'available' },
        },
      ],
      { fetchedAt: new Date() },
    );
    // Written by a store without the projection: only a rebuild brings it to Clouddriver's tables.
    expect(await db.sql(`SELECT id FROM cats_v1_vpcs`)).toEqual([]);

    expect((await call(baseUrl, 'POST', '/admin/clouddriver/rebuild')).status).toBe(401);
    const started = await admin('POST', '/admin/clouddriver/rebuild?batchSize=100');
    expect(started.status).toBe(202);
    expect(started.headers.get('location')).toBe('/admin/clouddriver/rebuild');
    const done = await eventually(async () => {
      const status = await admin('GET', '/admin/clouddriver/rebuild');
      return status.body.state === 'succeeded' ? (status.body as Record<string, unknown>) : undefined;
    }, 'the rebuild to finish');
    expect(done.progress).toMatchObject({ phase: 'done', resources: 1 });
    expect(await db.sql(`SELECT id, agent FROM cats_v1_vpcs`)).toEqual([
      { id: 'aws:vpcs:vpc-0a1b2c3d4e5f60718:prod:us-east-1', agent: 'prod/us-east-1/AmazonVpcCachingAgent' },
    ]);

    const invalid = await admin('POST', '/admin/clouddriver/rebuild?batchSize=1');
    expect(invalid.status).toBe(400);
  });

  it('refuses a rebuild while another process holds the rebuild lock', async () => {
    const holding = store.exclusively('event-cache:clouddriver-projection-rebuild', async () => {
      const answer = await admin('POST', '/admin/clouddriver/rebuild');
      expect(answer.status).toBe(409);
      expect(answer.body.error).toBe('rebuild_running');
    });
    await expect(holding).resolves.toEqual({ acquired: true, result: undefined });
  });
});
