import type { INestApplication } from '@nestjs/common';
import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import { eventually, FakeInstanceRefresher, fakeProvider, instanceRecord } from './support/fake-agents';
import { startCachingAgents } from './support/start-service';

const CONFIG = `
accounts:
  - name: prod
    accountId: "123456789012"
    regions: [{ name: us-east-1 }]
agents:
  firstRunSpreadSeconds: 0
  pollIntervalMs: 50
  shutdownGraceSeconds: 1
  refresh: { pollIntervalMs: 60000 }
`;

describe('caching-agents (booted with its agents against PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let baseUrl: string;
  const refresher = new FakeInstanceRefresher(new Map([['i-2', 'running']]));
  let closed = false;
  let appClosed = false;

  beforeAll(async () => {
    db = await createTestDatabase();
    const features = {
      providers: [
        fakeProvider('InstanceCachingAgent', (agent, ctx) =>
          Promise.resolve({
            readStartedAt: ctx.now(),
            resources: [instanceRecord(agent.account, agent.region, 'i-1')],
          }),
        ),
        // Still running at shutdown (and deaf to its abort signal).
        fakeProvider('ClusterCachingAgent', () => new Promise(() => {}), { types: ['serverGroups'] }),
      ],
      refreshers: [refresher],
      close: () => {
        closed = true;
      },
    };
    ({ app, baseUrl } = await startCachingAgents(db.url, CONFIG, features));
  });
  afterAll(async () => {
    if (!appClosed) await app?.close();
    await db?.drop();
  });

  it('registers and runs the configured agents, and counts the runs in its metrics', async () => {
    await eventually(
      async () => (await db.sql(`SELECT 1 FROM cached_resource WHERE key LIKE '%:i-1'`)).length === 1,
    );
    const [agent] = await db.sql(
      `SELECT agent_id, interval_ms, interval_reason FROM agent_schedule WHERE kind = 'InstanceCachingAgent'`,
    );
    expect(agent).toEqual({
      agent_id: 'prod/us-east-1/InstanceCachingAgent',
      interval_ms: 30_000,
      interval_reason: 'base 30s (polling.defaultIntervalSeconds)',
    });
    const metrics = await (await fetch(new URL('/metrics', baseUrl))).text();
    expect(metrics).toMatch(/event_cache_agent_runs_total{kind="InstanceCachingAgent",outcome="success"} 1/);
  });

  it('wakes its refresh worker on NOTIFY (its idle poll is a minute) and completes the request', async () => {
    await db.sql(
      `INSERT INTO refresh_request (type, key, account, region, target, origin, requested_at, not_before)
       VALUES ('instances', 'aws:instances:prod:us-east-1:i-2', 'prod', 'us-east-1',
               '{"id": "i-2", "idKind": "instanceId", "partial": false}', 'on-demand', now(), now())`,
    );
    await eventually(async () => {
      const [row] = await db.sql(`SELECT status FROM refresh_request`);
      return row.status === 'succeeded';
    }, 5_000);
    expect(refresher.batches).toHaveLength(1);
  });

  it('aborts a run still going after the grace period, releases its lease and closes the agents on shutdown', async () => {
    expect(await db.sql(`SELECT agent_id FROM agent_lease`)).toEqual([
      { agent_id: 'prod/us-east-1/ClusterCachingAgent' },
    ]);
    appClosed = true;
    await app.close();
    expect(await db.sql(`SELECT * FROM agent_lease`)).toEqual([]);
    const [cluster] = await db.sql(
      `SELECT last_error, next_run_at <= now() AS due FROM agent_schedule WHERE kind = 'ClusterCachingAgent'`,
    );
    expect(cluster).toEqual({ last_error: 'aborted: the replica is shutting down', due: true });
    expect(closed).toBe(true);
  });
});
