import type { INestApplication } from '@nestjs/common';
import { openCacheStore, type CacheStore } from '@event-cache/cache-store';
import { startService } from '@event-cache/platform';
import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import { service } from '../src/service';
import { ADMIN_TOKEN, call, writeConfig } from './support';

const AGENTS = [
  'prod/us-east-1/InstanceCachingAgent',
  'prod/us-east-1/SecurityGroupCachingAgent',
  'prod/us-west-2/InstanceCachingAgent',
];

describe('gate-endpoint: admin and read APIs (booted against PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let baseUrl: string;
  let store: CacheStore;
  let closeStore: () => Promise<void>;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startService(service, {
      DATABASE_URL: db.url,
      EVENT_CACHE_CONFIG: writeConfig(),
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
  beforeEach(async () => {
    await db.sql('TRUNCATE agent_schedule, agent_lease');
    await store.schedules.register(
      AGENTS.map((agentId) => {
        const [account, region, kind] = agentId.split('/');
        return {
          agentId,
          kind,
          account,
          region,
          baseIntervalMs: 30_000,
          firstRunAt: new Date(Date.now() + 3_600_000),
        };
      }),
    );
  });

  const admin = (method: string, path: string, body?: unknown) =>
    call(baseUrl, method, path, body, { authorization: `Bearer ${ADMIN_TOKEN}` });
  const agent = async (id: string) => (await store.schedules.list({ agentIdGlob: id }))[0];

  describe('admin API', () => {
    const routes: [string, string, unknown?][] = [
      ['GET', '/admin/agents'],
      ['PUT', '/admin/intervals', { agentId: '*', seconds: 60, reason: 'x' }],
      ['DELETE', '/admin/intervals?agentId=*'],
      ['POST', '/admin/agents/pause', { agentId: '*' }],
      ['POST', '/admin/agents/resume', { agentId: '*' }],
      ['POST', '/admin/refresh', { account: 'prod' }],
      ['GET', '/admin/events'],
      ['GET', '/admin/events/some-id'],
    ];

    it('answers 401 without the bearer token, or with a wrong one, and changes nothing', async () => {
      for (const [method, path, body] of routes) {
        const attempts: Record<string, string>[] = [
          {},
          { authorization: 'Bearer not-the-token-000000' },
          { authorization: ADMIN_TOKEN },
        ];
        for (const headers of attempts) {
          const answer = await call(baseUrl, method, path, body, headers);
          expect({
            method,
            path,
            status: answer.status,
            challenge: answer.headers.get('www-authenticate'),
          }).toEqual({
            method,
            path,
            status: 401,
            challenge: expect.stringMatching(/^Bearer/),
          });
        }
      }
      expect((await store.schedules.list()).every((a) => !a.paused && a.override === null)).toBe(true);
    });

    it('lists agents with the interval in force and why, next run, lease and last run', async () => {
      await store.leases.acquire({ owner: 'replica-1', ttlMs: 60_000, agentIds: [AGENTS[0]] });
      const answer = await admin('GET', '/admin/agents?account=prod&region=us-east-1');
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual([
        {
          id: AGENTS[0],
          provider: 'aws',
          kind: 'InstanceCachingAgent',
          account: 'prod',
          region: 'us-east-1',
          interval: { ms: 30_000, reason: 'base', baseMs: 30_000, dynamicFactor: 1, override: null },
          paused: false,
          nextRunAt: expect.any(String),
          lease: { owner: 'replica-1', expiresAt: expect.any(String) },
          lastRun: null,
          totals: { additions: 0, evictions: 0 },
        },
        expect.objectContaining({ id: AGENTS[1], lease: null }),
      ]);
      expect(
        ((await admin('GET', '/admin/agents?agentId=*/us-west-2/*')).body as { id: string }[]).map(
          (a) => a.id,
        ),
      ).toEqual([AGENTS[2]]);
      expect(await admin('GET', '/admin/agents?colour=blue')).toMatchObject({
        status: 400,
        body: { error: 'schema_violation' },
      });
    });

    it('overrides intervals by id glob or scope, recording who and why, and removes overrides', async () => {
      const set = await admin('PUT', '/admin/intervals', {
        agentId: 'prod/*/InstanceCachingAgent',
        seconds: 300,
        ttlSeconds: 3_600,
        reason: 'AWS throttling us in prod',
        setBy: 'alice',
      });
      expect(set).toMatchObject({ status: 200, body: { agents: [AGENTS[0], AGENTS[2]] } });
      expect((await agent(AGENTS[0])).override).toEqual({
        intervalMs: 300_000,
        factor: null,
        expiresAt: expect.any(Date),
        setBy: 'admin:alice',
        reason: 'AWS throttling us in prod',
      });
      const [listed] = (await admin('GET', `/admin/agents?agentId=${AGENTS[0]}`)).body;
      expect(listed.interval.override).toMatchObject({ intervalMs: 300_000, setBy: 'admin:alice' });

      expect(
        await admin('PUT', '/admin/intervals', {
          account: 'prod',
          kind: 'SecurityGroupCachingAgent',
          factor: 4,
          reason: 'quiet',
        }),
      ).toMatchObject({ status: 200, body: { agents: [AGENTS[1]] } });

      expect(await admin('DELETE', '/admin/intervals?region=us-east-1')).toMatchObject({
        status: 200,
        body: { agents: [AGENTS[0], AGENTS[1]] },
      });
      expect((await agent(AGENTS[2])).override).not.toBeNull();
    });

    it('refuses empty, contradictory and unmatched changes', async () => {
      const cases: [string, string, unknown, number, string][] = [
        ['PUT', '/admin/intervals', { seconds: 60, reason: 'everything?' }, 400, 'schema_violation'],
        [
          'PUT',
          '/admin/intervals',
          { agentId: '*', seconds: 60, factor: 2, reason: 'both' },
          400,
          'schema_violation',
        ],
        ['PUT', '/admin/intervals', { agentId: '*', factor: 2 }, 400, 'schema_violation'],
        [
          'PUT',
          '/admin/intervals',
          { agentId: '*', factor: 2, reason: 'x', expiresAt: '2001-01-01T00:00:00Z' },
          400,
          'schema_violation',
        ],
        [
          'PUT',
          '/admin/intervals',
          { agentId: '*', factor: 2, reason: 'x', constructor: {} },
          400,
          'forbidden_key',
        ],
        [
          'PUT',
          '/admin/intervals',
          { account: 'staging', seconds: 60, reason: 'typo' },
          404,
          'no_agents_matched',
        ],
        ['DELETE', '/admin/intervals', undefined, 400, 'schema_violation'],
        ['POST', '/admin/agents/pause', {}, 400, 'schema_violation'],
        ['POST', '/admin/refresh', {}, 400, 'schema_violation'],
        ['POST', '/admin/agents/pause', { kind: 'NoSuchAgent' }, 404, 'no_agents_matched'],
      ];
      for (const [method, path, body, status, error] of cases) {
        const answer = await admin(method, path, body);
        expect({ method, path, body, status: answer.status, error: answer.body?.error }).toEqual({
          method,
          path,
          body,
          status,
          error,
        });
      }
      expect((await store.schedules.list()).every((a) => !a.paused && a.override === null)).toBe(true);
    });

    it('pauses and resumes by match, and runs matched agents now by kind or cache type', async () => {
      expect(
        await admin('POST', '/admin/agents/pause', { account: 'prod', region: 'us-east-1' }),
      ).toMatchObject({
        body: { agents: [AGENTS[0], AGENTS[1]] },
      });
      expect((await agent(AGENTS[0])).paused).toBe(true);
      expect((await agent(AGENTS[2])).paused).toBe(false);
      await admin('POST', '/admin/agents/resume', { agentId: AGENTS[0] });
      expect((await agent(AGENTS[0])).paused).toBe(false);

      const refresh = await admin('POST', '/admin/refresh', { account: 'prod', kinds: ['instances'] });
      expect(refresh).toMatchObject({ status: 200, body: { agents: [AGENTS[0], AGENTS[2]] } });
      expect((await agent(AGENTS[0])).nextRunAt.getTime()).toBeLessThanOrEqual(Date.now());
      expect((await agent(AGENTS[1])).nextRunAt.getTime()).toBeGreaterThan(Date.now());
    });

    it('serves the event audit trail, filtered and paged', async () => {
      const at = (s: number) => new Date(Date.now() - s * 1000);
      await store.inbox.accept([
        {
          eventId: 'e-rejected',
          channel: 'sqs',
          receivedAt: at(3),
          outcome: 'rejected',
          reason: 'malformed_json',
        },
        {
          eventId: 'e-ignored',
          channel: 'api',
          receivedAt: at(2),
          outcome: 'ignored',
          reason: 'unknown_account',
          account: '999999999999',
        },
        {
          eventId: 'e-pending',
          channel: 'sns',
          receivedAt: at(1),
          source: 'aws.ec2',
          detailType: 'EC2 Instance State-change Notification',
          region: 'us-east-1',
          payload: {},
        },
      ]);
      const all = await admin('GET', '/admin/events?limit=2');
      expect((all.body.items as { id: string }[]).map((e) => e.id)).toEqual(['e-pending', 'e-ignored']);
      const next = await admin('GET', `/admin/events?limit=2&cursor=${all.body.nextCursor as string}`);
      expect(next.body).toEqual({ items: [expect.objectContaining({ id: 'e-rejected' })], nextCursor: null });
      expect(await admin('GET', '/admin/events?cursor=bm90LWEtY3Vyc29y')).toMatchObject({
        status: 400,
        body: { error: 'schema_violation', message: 'query.cursor: not a nextCursor of this API' },
      });
      expect((await admin('GET', '/admin/events?outcome=ignored&reason=unknown_account')).body.items).toEqual(
        [
          {
            id: 'e-ignored',
            channel: 'api',
            source: null,
            detailType: null,
            account: '999999999999',
            region: null,
            receivedAt: expect.any(String),
            processedAt: expect.any(String),
            outcome: 'ignored',
            reason: 'unknown_account',
            refreshKeys: [],
            duplicateCount: 0,
          },
        ],
      );
      expect(await admin('GET', '/admin/events/e-pending')).toMatchObject({
        status: 200,
        body: { id: 'e-pending', outcome: 'pending', processedAt: null, source: 'aws.ec2' },
      });
      expect(await admin('GET', '/admin/events/nope')).toMatchObject({ status: 404 });
      expect(await admin('GET', '/admin/events?limit=0')).toMatchObject({ status: 400 });
    });
  });

  describe('read API', () => {
    const instance = (n: number) => `aws:instances:prod:us-east-1:i-0abc00000000000${n}`;
    const serverGroup = 'aws:serverGroups:orders-api-prod:prod:us-east-1:orders-api-prod-v042';

    beforeAll(async () => {
      await store.resources.write(
        [
          ...[1, 2, 3].map((n) => ({
            key: instance(n),
            type: 'instances',
            account: 'prod',
            region: 'us-east-1',
            application: 'orders',
            attributes: { instanceId: `i-0abc00000000000${n}` },
          })),
          {
            key: serverGroup,
            type: 'serverGroups',
            account: 'prod',
            region: 'us-east-1',
            application: 'orders',
            attributes: { name: 'orders-api-prod-v042' },
            relationships: { instances: [instance(1), instance(2)] },
          },
        ],
        { fetchedAt: new Date() },
      );
    });

    it('pages through one type by account, region, application and key glob', async () => {
      const first = await call(
        baseUrl,
        'GET',
        '/resources/instances?account=prod&application=orders&key=aws:instances:prod:us-east-1:*&limit=2',
      );
      expect(first.status).toBe(200);
      expect((first.body.items as { key: string }[]).map((r) => r.key)).toEqual([instance(1), instance(2)]);
      expect(first.body.items[0]).toMatchObject({
        type: 'instances',
        attributes: { instanceId: 'i-0abc000000000001' },
        relationships: { serverGroups: [serverGroup] },
        fetchedAt: expect.any(String),
      });
      const second = await call(
        baseUrl,
        'GET',
        `/resources/instances?limit=2&cursor=${first.body.nextCursor as string}`,
      );
      expect(second.body).toEqual({
        items: [expect.objectContaining({ key: instance(3) })],
        nextCursor: null,
      });
      expect((await call(baseUrl, 'GET', '/resources/instances?region=eu-west-1')).body.items).toEqual([]);
      expect(await call(baseUrl, 'GET', '/resources/instances?limit=5000')).toMatchObject({ status: 400 });
    });

    it('serves one resource with its relationships, 404 when absent or of another type', async () => {
      const found = await call(baseUrl, 'GET', `/resources/serverGroups/${encodeURIComponent(serverGroup)}`);
      expect(found).toMatchObject({
        status: 200,
        body: { key: serverGroup, relationships: { instances: [instance(1), instance(2)] } },
      });
      expect(
        await call(baseUrl, 'GET', `/resources/instances/${encodeURIComponent(serverGroup)}`),
      ).toMatchObject({ status: 404 });
      expect(
        await call(baseUrl, 'GET', `/resources/instances/${encodeURIComponent(instance(9))}`),
      ).toMatchObject({ status: 404 });
    });
  });
});
