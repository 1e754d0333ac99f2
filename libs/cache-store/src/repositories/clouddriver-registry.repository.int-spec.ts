import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import { openCacheStore } from '../cache-store';
import type {
  ClouddriverInstanceView,
  ClouddriverRegistryRepository,
} from './clouddriver-registry.repository';

const T0 = new Date('2025-11-20T10:00:00.000Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const pod = (name: string, ip: string, ready: boolean, s: number): ClouddriverInstanceView => ({
  id: name,
  baseUrl: `http://${ip}:7002`,
  ready,
  lastUpdated: at(s),
});

describe('ClouddriverRegistryRepository', () => {
  let db: TestDatabase;
  let registry: ClouddriverRegistryRepository;
  let close: () => Promise<void>;

  beforeAll(async () => {
    db = await createTestDatabase();
    const opened = await openCacheStore(db.url, { poolSize: 2 });
    registry = opened.store.clouddrivers;
    close = opened.close;
  });
  afterAll(async () => {
    await close();
    await db.drop();
  });
  beforeEach(async () => {
    await db.sql('TRUNCATE clouddriver_instance, clouddriver_ownership, clouddriver_operation');
  });

  describe('instances', () => {
    it('replaces the instance list with what discovery sees now', async () => {
      await registry.syncInstances([
        pod('spin-clouddriver-7d9f8b6c5-x2k4p', '10.0.3.17', true, 0),
        pod('spin-clouddriver-7d9f8b6c5-q8w7e', '10.0.3.18', false, 0),
        pod('spin-clouddriver-7d9f8b6c5-m1n2b', '10.0.3.19', true, 0),
      ]);
      expect((await registry.listInstances()).map((i) => i.id)).toEqual([
        'spin-clouddriver-7d9f8b6c5-m1n2b',
        'spin-clouddriver-7d9f8b6c5-q8w7e',
        'spin-clouddriver-7d9f8b6c5-x2k4p',
      ]);

      // One pod gone, one became ready, one unchanged, one new.
      await registry.syncInstances([
        pod('spin-clouddriver-7d9f8b6c5-x2k4p', '10.0.3.17', true, 60),
        pod('spin-clouddriver-7d9f8b6c5-q8w7e', '10.0.3.18', true, 60),
        pod('spin-clouddriver-7d9f8b6c5-z9y8x', '10.0.3.20', false, 60),
      ]);
      expect(await registry.listInstances()).toEqual([
        pod('spin-clouddriver-7d9f8b6c5-q8w7e', '10.0.3.18', true, 60),
        pod('spin-clouddriver-7d9f8b6c5-x2k4p', '10.0.3.17', true, 0), // unchanged: lastUpdated kept
        pod('spin-clouddriver-7d9f8b6c5-z9y8x', '10.0.3.20', false, 60),
      ]);

      await registry.syncInstances([]);
      expect(await registry.listInstances()).toEqual([]);
    });
    it('takes the last report of a pod listed twice (seen through both Endpoints and EndpointSlices)', async () => {
      await registry.syncInstances([
        pod('spin-clouddriver-7d9f8b6c5-x2k4p', '10.0.3.17', false, 0),
        pod('spin-clouddriver-7d9f8b6c5-q8w7e', '10.0.3.18', true, 0),
        pod('spin-clouddriver-7d9f8b6c5-x2k4p', '10.0.3.17', true, 5),
      ]);
      expect(await registry.listInstances()).toEqual([
        pod('spin-clouddriver-7d9f8b6c5-q8w7e', '10.0.3.18', true, 0),
        pod('spin-clouddriver-7d9f8b6c5-x2k4p', '10.0.3.17', true, 5),
      ]);
    });
  });

  describe('ownership', () => {
    it('records which instance owns an agent and serves which accounts', async () => {
      await registry.setOwnership('prod/us-east-1/InstanceCachingAgent', 'spin-clouddriver-a', [
        'prod',
        'prod',
      ]);
      await registry.setOwnership('staging/us-east-1/InstanceCachingAgent', 'spin-clouddriver-b', [
        'staging',
        'prod',
      ]);

      const owner = await registry.ownerOfAgent('prod/us-east-1/InstanceCachingAgent');
      expect(owner).toMatchObject({
        agentId: 'prod/us-east-1/InstanceCachingAgent',
        clouddriverId: 'spin-clouddriver-a',
        accounts: ['prod'],
      });
      expect(owner?.updatedAt).toBeInstanceOf(Date);
      expect(await registry.ownerOfAgent('prod/eu-west-1/InstanceCachingAgent')).toBeNull();

      // The most recently registered owner serving the account wins.
      expect((await registry.ownerOfAccount('prod'))?.clouddriverId).toBe('spin-clouddriver-b');
      expect((await registry.ownerOfAccount('staging'))?.clouddriverId).toBe('spin-clouddriver-b');
      expect(await registry.ownerOfAccount('dev')).toBeNull();

      // Ownership moves to another instance.
      await registry.setOwnership('prod/us-east-1/InstanceCachingAgent', 'spin-clouddriver-c', ['prod']);
      expect((await registry.ownerOfAgent('prod/us-east-1/InstanceCachingAgent'))?.clouddriverId).toBe(
        'spin-clouddriver-c',
      );
      expect((await registry.ownerOfAccount('prod'))?.clouddriverId).toBe('spin-clouddriver-c');
    });

    it('removes ownership and says whether there was any', async () => {
      await registry.setOwnership('prod/us-east-1/InstanceCachingAgent', 'spin-clouddriver-a', ['prod']);
      expect(await registry.removeOwnership('prod/us-east-1/InstanceCachingAgent')).toBe(true);
      expect(await registry.removeOwnership('prod/us-east-1/InstanceCachingAgent')).toBe(false);
      expect(await registry.ownerOfAgent('prod/us-east-1/InstanceCachingAgent')).toBeNull();
      expect(await registry.ownerOfAccount('prod')).toBeNull();
    });
  });

  describe('operation routes', () => {
    const route = {
      operationId: 'op-7f3a',
      senderId: 'spin-clouddriver-7d9f8b6c5-x2k4p',
      ownerId: 'spin-clouddriver-7d9f8b6c5-q8w7e',
      agentId: 'agent-prod-54865d798c-cpqgm',
      account: 'prod-eks',
    };

    it('remembers who sent an operation until it expires', async () => {
      await registry.recordOperation(route, 3_600);
      const found = await registry.routeOfOperation('op-7f3a');
      expect(found).toMatchObject(route);
      expect(found!.expiresAt.getTime() - found!.createdAt.getTime()).toBe(3_600_000);
      expect(await registry.routeOfOperation('op-unknown')).toBeNull();

      await db.sql(`UPDATE clouddriver_operation SET expires_at = now() - interval '1 second'`);
      expect(await registry.routeOfOperation('op-7f3a')).toBeNull();
    });

    it('replaces the route when the same operation is sent again, also after it expired', async () => {
      await registry.recordOperation({ operationId: 'op-1', senderId: 'a', ownerId: 'b' }, 60);
      await db.sql(`UPDATE clouddriver_operation SET expires_at = now() - interval '1 second'`);
      await registry.recordOperation(
        { operationId: 'op-1', senderId: 'c', ownerId: 'd', account: 'prod' },
        60,
      );
      expect(await registry.routeOfOperation('op-1')).toMatchObject({
        senderId: 'c',
        ownerId: 'd',
        agentId: null,
        account: 'prod',
      });
    });

    it('purges expired routes a batch at a time while recording new ones', async () => {
      await db.sql(
        `INSERT INTO clouddriver_operation (operation_id, sender_id, owner_id, created_at, expires_at)
         SELECT 'old-' || n, 'a', 'b', now() - interval '2 hours', now() - interval '1 hour'
           FROM generate_series(1, 150) n`,
      );
      await registry.recordOperation(route, 60);
      const count = async () =>
        (await db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM clouddriver_operation`))[0].n;
      expect(await count()).toBe(51);
      await registry.recordOperation({ ...route, operationId: 'op-2' }, 60);
      expect(await count()).toBe(2);
    });

    it('lets two replicas record and purge at the same time', async () => {
      await db.sql(
        `INSERT INTO clouddriver_operation (operation_id, sender_id, owner_id, created_at, expires_at)
         SELECT 'old-' || n, 'a', 'b', now() - interval '2 hours', now() - interval '1 hour'
           FROM generate_series(1, 300) n`,
      );
      const other = await openCacheStore(db.url, { poolSize: 4 });
      try {
        await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            (i % 2 ? other.store.clouddrivers : registry).recordOperation(
              { ...route, operationId: `op-${i}` },
              60,
            ),
          ),
        );
      } finally {
        await other.close();
      }
      const rows = await db.sql<{ operation_id: string }>(
        `SELECT operation_id FROM clouddriver_operation WHERE expires_at >= now() ORDER BY operation_id`,
      );
      expect(rows.map((r) => r.operation_id)).toEqual(Array.from({ length: 8 }, (_, i) => `op-${i}`));
    });
  });
});
