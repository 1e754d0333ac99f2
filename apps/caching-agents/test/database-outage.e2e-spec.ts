import type { INestApplication } from '@nestjs/common';
import { migrate } from '@event-cache/cache-store';
import {
  answerOf,
  type RunningPostgres,
  sqlOn,
  startOwnDatabase,
  whileFrozen,
  whileHalted,
} from '@event-cache/testing';
import {
  eventually,
  FakeInstanceRefresher,
  fakeProvider,
  instanceRecord,
  sleep,
} from './support/fake-agents';
import { startCachingAgents } from './support/start-service';

// Outages take a while to ride out: every wait below is a condition with a generous bound.
jest.setTimeout(180_000);
const LONG = 60_000;

const CONFIG = `
accounts:
  - name: prod
    accountId: "123456789012"
    regions: [{ name: us-east-1 }]
polling:
  defaultIntervalSeconds: 1
database:
  statementTimeoutMs: 2000
  connectTimeoutMs: 2000
health:
  readinessTimeoutMs: 1000
agents:
  firstRunSpreadSeconds: 0
  # Far longer than any wait below: an agent must not wait for its lease to expire after an outage.
  leaseTtlSeconds: 600
  shutdownGraceSeconds: 1
  # Only NOTIFY wakes the refresh worker in time for these tests: it must listen again after an outage.
  refresh: { pollIntervalMs: 60000 }
`;

/**
 * caching-agents (scheduler, lease keeper, refresh worker) against a PostgreSQL of its own that
 * the tests stop and freeze; its agent reads an "AWS" the test changes during the outage.
 */
describe('caching-agents through database outages (its own PostgreSQL)', () => {
  let pg: RunningPostgres;
  let url: string;
  let app: INestApplication;
  let baseUrl: string;
  /** What AWS says about each instance now. */
  const aws = new Map([['i-1', 'running']]);

  beforeAll(async () => {
    ({ pg, url } = await startOwnDatabase((databaseUrl) => migrate({ url: databaseUrl })));
    const features = {
      providers: [
        // A read that takes a while: a run is under way when the database goes away.
        fakeProvider('InstanceCachingAgent', async (agent, ctx) => {
          const readStartedAt = ctx.now();
          const resources = [...aws].map(([id, state]) =>
            instanceRecord(agent.account, agent.region, id, state),
          );
          await sleep(1_000);
          return { readStartedAt, resources };
        }),
      ],
      refreshers: [new FakeInstanceRefresher(aws)],
      close: () => undefined,
    };
    ({ app, baseUrl } = await startCachingAgents(url, CONFIG, features));
  });
  afterAll(async () => {
    pg?.thaw();
    await app?.close();
    await pg?.stop();
  });

  const get = (path: string) => answerOf(baseUrl, 'GET', path);
  const until = (status: number) =>
    eventually(async () => (await get('/health/ready')).status === status, LONG);
  const sql = <T>(text: string, params: unknown[] = []) => sqlOn(url)<T>(text, params);
  const cachedState = async (id: string) =>
    (
      await sql<{ state: string }>(
        `SELECT attributes->'state'->>'name' AS state FROM cached_resource WHERE key = $1`,
        [`aws:instances:prod:us-east-1:${id}`],
      )
    )[0]?.state;
  /** A force-refresh of one instance, as gate-endpoint enqueues it; resolves once it succeeded. */
  const refreshed = async (id: string) => {
    const [{ id: requestId }] = await sql<{ id: string }>(
      `INSERT INTO refresh_request (type, key, account, region, target, origin, requested_at, not_before)
       VALUES ('instances', $1, 'prod', 'us-east-1', $2, 'on-demand', now(), now()) RETURNING id`,
      [`aws:instances:prod:us-east-1:${id}`, { id, idKind: 'instanceId', partial: false }],
    );
    await eventually(async () => {
      const [row] = await sql<{ status: string }>(`SELECT status FROM refresh_request WHERE id = $1`, [
        requestId,
      ]);
      return row.status === 'succeeded';
    }, LONG);
  };
  const running = async () => (await sql(`SELECT 1 FROM agent_lease`)).length > 0;
  const listening = async () =>
    (
      await sql(
        `SELECT 1 FROM pg_stat_activity WHERE application_name = 'caching-agents' AND query LIKE 'LISTEN%'`,
      )
    ).length > 0;

  it('rides out a stopped database, then runs its agents and serves refreshes again within seconds', async () => {
    await eventually(async () => (await cachedState('i-1')) === 'running', LONG);
    await eventually(running, LONG);
    await whileHalted(pg, async () => {
      await until(503);
      expect((await get('/health/ready')).body.details.database).toMatchObject({ status: 'down' });
      aws.set('i-1', 'stopped');
      aws.set('i-2', 'running');
      await sleep(3_000); // several runs, acquisitions and lease extensions fail meanwhile
      expect((await get('/health/live')).status).toBe(200);
      await pg.restart();
      await until(200);
      // Its agent runs again (its lease was released once the database was back, not left to expire).
      await eventually(async () => (await cachedState('i-1')) === 'stopped', LONG);
      // The refresh worker listens again: its idle poll is a minute, NOTIFY wakes it.
      await eventually(listening, LONG);
      aws.set('i-3', 'pending');
      await refreshed('i-3');
      expect(await cachedState('i-3')).toBe('pending');
    });
  });

  it('rides out a frozen database: readiness answers 503 naming it, and work resumes once it thaws', async () => {
    await eventually(running, LONG);
    await whileFrozen(pg, async () => {
      const ready = await get('/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.details.database).toMatchObject({ status: 'down', timedOut: true });
      aws.set('i-1', 'terminated');
      await sleep(3_000);
      expect((await get('/health/live')).status).toBe(200);
    });
    await until(200);
    await eventually(async () => (await cachedState('i-1')) === 'terminated', LONG);
    aws.set('i-4', 'running');
    await refreshed('i-4');
  });
});
