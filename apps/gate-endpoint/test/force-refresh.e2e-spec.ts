import type { INestApplication } from '@nestjs/common';
import { openCacheStore, type CacheStore } from '@event-cache/cache-store';
import { startService } from '@event-cache/platform';
import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import { service } from '../src/service';
import { OrcaServerGroupRefresh } from './orca-force-refresh.replay';
import { RefreshWorkerStandIn } from './refresh-worker.stand-in';
import { call, writeConfig } from './support';

const SG_KEY = 'aws:serverGroups:orders-api-prod:prod:us-east-1:orders-api-prod-v042';

describe('gate-endpoint: the Clouddriver-compatible force-refresh API (two replicas, one PostgreSQL)', () => {
  let db: TestDatabase;
  let replicaA: INestApplication;
  let replicaB: INestApplication;
  let urlA: string;
  let urlB: string;
  let store: CacheStore;
  let closeStore: () => Promise<void>;

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = {
      DATABASE_URL: db.url,
      EVENT_CACHE_CONFIG: writeConfig(),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
    };
    replicaA = await startService(service, env);
    replicaB = await startService(service, env);
    [urlA, urlB] = await Promise.all([replicaA.getUrl(), replicaB.getUrl()]);
    ({ store, close: closeStore } = await openCacheStore(db.url, { poolSize: 2 }));
  });
  afterAll(async () => {
    await replicaA?.close();
    await replicaB?.close();
    await closeStore?.();
    await db?.drop();
  });
  beforeEach(() => db.sql('TRUNCATE refresh_request, cached_resource, agent_schedule, agent_lease'));

  // Orca talks to one replica for POST and, through its load balancer, another for GET.
  const orca = {
    post: (type: string, body: object) => call(urlA, 'POST', `/cache/aws/${type}`, body),
    get: (type: string) => call(urlB, 'GET', `/cache/aws/${type}`),
  };

  describe('ServerGroup, as ServerGroupCacheForceRefreshTask drives it', () => {
    it('completes once a fresh read started after the request was cached', async () => {
      const startTime = Date.now();
      const task = new OrcaServerGroupRefresh(orca, {
        account: 'prod',
        region: 'us-east-1',
        serverGroups: ['orders-api-prod-v042'],
        startTime,
      });
      const worker = new RefreshWorkerStandIn(store);

      expect(await task.cycle()).toBe('RUNNING'); // POST: 202
      expect(task.posts[0]).toMatchObject({
        status: 202,
        body: { cachedIdentifiersByType: { serverGroups: [SG_KEY] } },
      });
      expect(task.posts[0].headers.get('location')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/refreshes\/\d+$/);
      expect(await task.cycle()).toBe('RUNNING'); // pending, not processed

      const [entry] = (await orca.get('servergroup')).body as Record<string, unknown>[];
      expect(entry).toEqual({
        id: SG_KEY,
        details: expect.objectContaining({
          account: 'prod',
          region: 'us-east-1',
          serverGroup: 'orders-api-prod-v042',
          cluster: 'orders-api-prod',
          application: 'orders',
          stack: 'api',
          detail: 'prod',
          sequence: '42',
        }),
        moniker: { app: 'orders', cluster: 'orders-api-prod', stack: 'api', detail: 'prod', sequence: 42 },
        cacheTime: expect.any(Number),
        cacheExpiry: (entry.cacheTime as number) + 600_000,
        processedCount: null,
        processedTime: null,
      });

      await worker.runOnce();
      expect(await task.cycle()).toBe('SUCCEEDED');
      const [processed] = (await orca.get('ServerGroup')).body as {
        cacheTime: number;
        processedTime: number;
        processedCount: number;
      }[];
      expect(processed.processedCount).toBe(1);
      expect(processed.processedTime).toBeGreaterThanOrEqual(processed.cacheTime);
      expect(processed.cacheTime).toBeGreaterThanOrEqual(startTime);
      const cached = await store.resources.findByKey(SG_KEY);
      expect(cached?.fetchedAt.getTime()).toBeGreaterThanOrEqual(processed.cacheTime);
      expect(task.posts).toHaveLength(1);
    });

    it('asks again when the pending entry is missing, as Orca does', async () => {
      const task = new OrcaServerGroupRefresh(orca, {
        account: 'prod',
        region: 'us-east-1',
        serverGroups: ['orders-api-prod-v042'],
        startTime: Date.now(),
      });
      expect(await task.cycle()).toBe('RUNNING');
      await db.sql('DELETE FROM refresh_request'); // e.g. lost to a retention purge
      expect(await task.cycle()).toBe('RUNNING'); // missing -> POST again
      expect(task.posts.map((p) => p.status)).toEqual([202, 202]);
      await new RefreshWorkerStandIn(store).runOnce();
      expect(await task.cycle()).toBe('SUCCEEDED');
    });

    it('does not report a request processed by a read that started before it was asked for', async () => {
      const worker = new RefreshWorkerStandIn(store);
      expect(
        (
          await orca.post('ServerGroup', {
            serverGroupName: 'orders-api-prod-v042',
            account: 'prod',
            region: 'us-east-1',
          })
        ).status,
      ).toBe(202);
      // The worker claims it and starts its AWS read, half a second after the request was cached ...
      await db.sql(`UPDATE refresh_request SET requested_at = now() - interval '1 second'`);
      const batch = await worker.claim();
      const readStartedAt = new Date(Date.now() - 500);
      // ... and Orca asks again while that read is in flight: a new request, not folded into the claimed one.
      const again = await orca.post('ServerGroup', {
        asgName: 'orders-api-prod-v042',
        account: 'prod',
        region: 'us-east-1',
      });
      await worker.complete(batch, readStartedAt);

      const entries = (await orca.get('ServerGroup')).body as {
        id: string;
        processedTime: number | null;
        cacheTime: number;
      }[];
      expect(entries).toEqual([expect.objectContaining({ id: SG_KEY, processedTime: null })]);
      const path = new URL(again.headers.get('location')!).pathname;
      const status = await call(urlB, 'GET', path);
      expect(status.body).toMatchObject({ status: 'PENDING', keys: [SG_KEY], processedTime: null });

      await worker.runOnce();
      expect((await call(urlA, 'GET', path)).body).toMatchObject({
        status: 'SUCCEEDED',
        processedTime: expect.any(Number),
      });
    });

    it('answers 200 at once for a server group our last read found being deleted, and still refreshes it', async () => {
      const asg = (status?: string) => ({
        key: SG_KEY,
        type: 'serverGroups',
        account: 'prod',
        region: 'us-east-1',
        application: 'orders',
        attributes: {
          name: 'orders-api-prod-v042',
          asg: { autoScalingGroupName: 'orders-api-prod-v042', status },
        },
      });
      const task = () =>
        new OrcaServerGroupRefresh(orca, {
          account: 'prod',
          region: 'us-east-1',
          serverGroups: ['orders-api-prod-v042'],
          startTime: Date.now(),
        });

      await store.resources.write([asg('Delete in progress')], { fetchedAt: new Date() });
      const deleting = task();
      expect(await deleting.cycle()).toBe('SUCCEEDED'); // Clouddriver: the ASG is gone, nothing to wait for
      expect(deleting.posts[0]).toMatchObject({ status: 200, body: { cachedIdentifiersByType: {} } });
      expect(deleting.posts[0].headers.get('location')).toBeNull();
      expect(await db.sql('SELECT key, status FROM refresh_request')).toEqual([
        { key: SG_KEY, status: 'pending' },
      ]);

      // Cached and not being deleted, being deleted as of a read too old to trust, or not cached
      // at all (just created): a refresh to wait for.
      await db.sql('TRUNCATE refresh_request, cached_resource');
      await store.resources.write([asg('Delete in progress')], { fetchedAt: new Date(Date.now() - 120_000) });
      expect(await task().cycle()).toBe('RUNNING');
      await db.sql('TRUNCATE refresh_request, cached_resource');
      await store.resources.write([asg()], { fetchedAt: new Date() });
      expect(
        (
          await orca.post('ServerGroup', {
            asgName: 'orders-api-prod-v042',
            region: 'us-east-1',
            account: 'prod',
          })
        ).status,
      ).toBe(202);
      await db.sql('TRUNCATE refresh_request, cached_resource');
      expect(await task().cycle()).toBe('RUNNING');
    });

    it('coalesces concurrent requests for one key into one refresh', async () => {
      const body = {
        asgName: 'orders-api-prod-v042',
        serverGroupName: 'orders-api-prod-v042',
        account: 'prod',
        region: 'us-east-1',
        zone: null,
      };
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          call(i % 2 ? urlA : urlB, 'POST', '/cache/aws/ServerGroup', body),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(8).fill(202));
      expect(new Set(answers.map((a) => new URL(a.headers.get('location')!).pathname)).size).toBe(1);
      expect(await db.sql(`SELECT request_count FROM refresh_request`)).toEqual([{ request_count: 8 }]);
    });

    it('answers 200 with nothing to wait for on unknown types, accounts and regions, and 400 on malformed bodies', async () => {
      const nothing = { status: 200, body: { cachedIdentifiersByType: {} } };
      const sg = { asgName: 'orders-api-prod-v042', region: 'us-east-1', account: 'prod' };
      expect(await orca.post('Job', sg)).toMatchObject(nothing);
      expect(await orca.post('ServerGroup', { ...sg, account: 'staging' })).toMatchObject(nothing);
      expect(await orca.post('ServerGroup', { ...sg, region: 'eu-west-1' })).toMatchObject(nothing);
      expect(await orca.post('ServerGroup', { ...sg, asgName: 'NotAFriggaName!!' })).toMatchObject(nothing);
      expect(await db.sql('SELECT id FROM refresh_request')).toEqual([]);

      for (const bad of [
        { region: 'us-east-1', account: 'prod' },
        { ...sg, account: 42 },
        [sg],
        { ...sg, asgName: 'a:b' },
      ]) {
        expect(await orca.post('ServerGroup', bad)).toMatchObject({
          status: 400,
          body: { error: 'schema_violation' },
        });
      }
      expect(
        await call(urlA, 'POST', '/cache/aws/ServerGroup', '{"asgName":', {
          'content-type': 'application/json',
        }),
      ).toMatchObject({ status: 400 });
      expect(await orca.get('Job')).toMatchObject({ status: 200, body: [] });
    });
  });

  describe('LoadBalancer, as UpsertLoadBalancerForceRefreshTask drives it', () => {
    it('lists the keys it answered while they are pending, and drops them once processed', async () => {
      const post = await orca.post('LoadBalancer', {
        loadBalancerName: 'orders-frontend',
        account: 'prod',
        region: 'us-east-1',
        loadBalancerType: 'application',
      });
      expect(post.status).toBe(202);
      const ids = post.body.cachedIdentifiersByType.loadBalancers as string[];
      expect(ids).toEqual(['aws:loadBalancers:prod:us-east-1:orders-frontend:*:application']);

      const pending = (await orca.get('loadBalancer')).body as {
        id: string;
        details: Record<string, unknown>;
      }[];
      expect(pending.map((p) => p.id)).toEqual(ids);
      expect(pending[0].details).toMatchObject({
        loadBalancer: 'orders-frontend',
        account: 'prod',
        vpcId: null,
      });
      expect(
        (await call(urlA, 'GET', `/cache/aws/LoadBalancer?id=${encodeURIComponent(ids[0])}`)).body,
      ).toHaveLength(1);

      const [request] = await db.sql<{ key: string; target: unknown }>(
        `SELECT key, target FROM refresh_request`,
      );
      expect(request).toEqual({
        key: 'loadBalancers|prod|us-east-1|loadBalancerName|orders-frontend',
        target: {
          id: 'orders-frontend',
          idKind: 'loadBalancerName',
          partial: true,
          pattern: 'aws:loadBalancers:prod:us-east-1:orders-frontend:*:application',
        },
      });
      await new RefreshWorkerStandIn(store).runOnce();
      expect((await orca.get('LoadBalancer')).body).toEqual([]);
    });

    it('answers the exact key when the body names the VPC and type, and treats evict as a refresh', async () => {
      const post = await orca.post('LoadBalancer', {
        loadBalancerName: 'orders-frontend',
        account: 'prod',
        region: 'us-west-2',
        loadBalancerType: 'network',
        vpcId: 'vpc-0abc1234',
        evict: true,
      });
      expect(post.body).toEqual({
        cachedIdentifiersByType: {
          loadBalancers: ['aws:loadBalancers:prod:us-west-2:orders-frontend:vpc-0abc1234:network'],
        },
      });
      expect(
        await orca.post('LoadBalancer', {
          loadBalancerName: 'bad name!',
          account: 'prod',
          region: 'us-west-2',
        }),
      ).toMatchObject({
        status: 400,
      });
    });
  });

  describe("Orca's delete tasks (DeleteLoadBalancerForceRefreshTask, DeleteSecurityGroupForceRefreshTask)", () => {
    it('reads an empty vpcId (or other optional field) as "not given", never a 400', async () => {
      // DeleteLoadBalancerForceRefreshTask: vpcId = stage.context.vpcId ?: ''
      const lb = await orca.post('LoadBalancer', {
        loadBalancerName: 'orders-frontend',
        region: 'us-east-1',
        account: 'prod',
        vpcId: '',
        evict: true,
      });
      expect(lb).toMatchObject({
        status: 202,
        body: {
          cachedIdentifiersByType: {
            loadBalancers: ['aws:loadBalancers:prod:us-east-1:orders-frontend:*:*'],
          },
        },
      });
      const sg = await orca.post('SecurityGroup', {
        securityGroupName: 'orders-api',
        vpcId: '',
        region: 'us-east-1',
        account: 'prod',
        evict: true,
      });
      expect(sg).toMatchObject({
        status: 202,
        body: {
          cachedIdentifiersByType: { securityGroups: ['aws:securityGroups:orders-api:*:us-east-1:prod:*'] },
        },
      });
      expect(
        await orca.post('LoadBalancer', {
          loadBalancerName: 'orders-frontend',
          region: 'us-east-1',
          account: 'prod',
          loadBalancerType: '',
        }),
      ).toMatchObject({ status: 202 });
      expect(
        await orca.post('ServerGroup', {
          asgName: 'orders-api-prod-v042',
          serverGroupName: '',
          zone: '',
          region: 'us-east-1',
          account: 'prod',
        }),
      ).toMatchObject({ status: 202 });
      // An empty string is "not given", not a wildcard for a malformed value.
      expect(
        await orca.post('LoadBalancer', {
          loadBalancerName: 'orders-frontend',
          region: 'us-east-1',
          account: 'prod',
          vpcId: 'vpc-x',
        }),
      ).toMatchObject({ status: 400, body: { error: 'schema_violation' } });
    });
  });

  describe('SecurityGroup', () => {
    it('refreshes a group by name within its VPC, ignoring extra fields', async () => {
      const post = await orca.post('securitygroup', {
        account: 'prod',
        region: 'us-east-1',
        securityGroupName: 'orders-api',
        vpcId: 'vpc-0abc1234',
        credentials: 'prod',
        cloudProvider: 'aws',
      });
      expect(post).toMatchObject({
        status: 202,
        body: {
          cachedIdentifiersByType: {
            securityGroups: ['aws:securityGroups:orders-api:*:us-east-1:prod:vpc-0abc1234'],
          },
        },
      });
      const [request] = await db.sql<{ target: unknown }>(`SELECT target FROM refresh_request`);
      expect(request.target).toEqual({
        vpcId: 'vpc-0abc1234',
        id: 'orders-api',
        idKind: 'securityGroupName',
        partial: true,
        pattern: 'aws:securityGroups:orders-api:*:us-east-1:prod:vpc-0abc1234',
      });
    });

    it('without a name, runs the security-group agent of the account/region now (nothing to wait for)', async () => {
      await store.schedules.register([
        {
          agentId: 'prod/us-east-1/SecurityGroupCachingAgent',
          kind: 'SecurityGroupCachingAgent',
          account: 'prod',
          region: 'us-east-1',
          baseIntervalMs: 30_000,
          firstRunAt: new Date(Date.now() + 3_600_000),
        },
      ]);
      expect(await orca.post('SecurityGroup', { account: 'prod', region: 'us-east-1' })).toMatchObject({
        status: 200,
        body: { cachedIdentifiersByType: {} },
      });
      const [agent] = await store.schedules.list({ kind: 'SecurityGroupCachingAgent' });
      expect(agent.nextRunAt.getTime()).toBeLessThanOrEqual(Date.now());
    });
  });

  describe('GET /refreshes/{id}', () => {
    it('follows a refresh from PENDING to SUCCEEDED for a webhook stage; unknown ids are 404', async () => {
      const post = await orca.post('ServerGroup', {
        asgName: 'orders-api-prod-v042',
        account: 'prod',
        region: 'us-east-1',
      });
      const location = new URL(post.headers.get('location')!).pathname; // polled on the other replica
      const pending = await call(urlB, 'GET', location);
      expect(pending).toMatchObject({
        status: 200,
        body: {
          id: location.split('/').pop(),
          status: 'PENDING',
          type: 'serverGroups',
          keys: [SG_KEY],
          processedTime: null,
          error: null,
          errorCode: null,
        },
      });
      await new RefreshWorkerStandIn(store).runOnce();
      const done = await call(urlB, 'GET', location);
      expect(done.body).toMatchObject({ status: 'SUCCEEDED' });
      expect(done.body.processedTime).toBeGreaterThanOrEqual(done.body.cacheTime as number);
      expect(await call(urlB, 'GET', '/refreshes/999999')).toMatchObject({
        status: 404,
        body: { error: 'not_found' },
      });
      expect(await call(urlB, 'GET', '/refreshes/not-a-number')).toMatchObject({ status: 404 });
    });
  });

  describe('GET /refreshes/{id} of a failed refresh', () => {
    it('gives a coded reason an operator can act on, never the raw error', async () => {
      const post = await orca.post('ServerGroup', {
        asgName: 'orders-api-prod-v042',
        account: 'prod',
        region: 'us-east-1',
      });
      const location = new URL(post.headers.get('location')!).pathname;
      const worker = new RefreshWorkerStandIn(store);
      const [claimed] = await worker.claim();
      await store.refreshes.fail(
        'refresh-worker-stand-in',
        [{ id: claimed.id, error: 'Error: connect ECONNREFUSED 127.0.0.1:9' }],
        {
          maxAttempts: 1,
          backoffMs: 0,
        },
      );
      const failed = await call(urlB, 'GET', location);
      expect(failed.body).toMatchObject({
        status: 'FAILED',
        errorCode: 'aws_unreachable',
        error: expect.stringContaining('could not reach the AWS API'),
      });
      expect(JSON.stringify(failed.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
    });
  });

  describe('GET /cache/introspection', () => {
    it("lists every agent with Clouddriver's fields, most recently started first", async () => {
      const agents = ['prod/us-east-1/InstanceCachingAgent', 'prod/us-east-1/ClusterCachingAgent'];
      await store.schedules.register(
        agents.map((agentId) => ({
          agentId,
          kind: agentId.split('/')[2],
          account: 'prod',
          region: 'us-east-1',
          baseIntervalMs: 30_000,
          firstRunAt: new Date(Date.now() - 1_000),
        })),
      );
      const leases = await store.leases.acquire({ owner: 'test', ttlMs: 60_000, agentIds: [agents[0]] });
      const startedAt = new Date(Date.now() - 2_000);
      await store.leases.release('test', [
        {
          agentId: agents[0],
          token: leases[0].token,
          nextRunAt: new Date(Date.now() + 30_000),
          run: { startedAt, durationMs: 1_234, additions: 10, evictions: 2, error: null },
        },
      ]);
      const answer = await call(urlA, 'GET', '/cache/introspection');
      expect(answer.body).toEqual([
        {
          id: agents[0],
          provider: 'aws',
          totalAdditions: 10,
          totalEvictions: 2,
          lastExecutionDurationMs: 1_234,
          lastExecutionStartMs: startedAt.getTime(),
          lastExecutionStartDate: startedAt.toISOString(),
          lastError: null,
        },
        {
          id: agents[1],
          provider: 'aws',
          totalAdditions: 0,
          totalEvictions: 0,
          lastExecutionDurationMs: null,
          lastExecutionStartMs: null,
          lastExecutionStartDate: null,
          lastError: null,
        },
      ]);
    });
  });
});
