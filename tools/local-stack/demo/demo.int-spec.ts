import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { parse } from 'yaml';
import { loadConfig, startService } from '@event-cache/platform';
import { createTestDatabase, freePort, type TestDatabase } from '@event-cache/testing';
// The services run in this process against the demo estate, as `npm start` runs them: a tool may
// import their service definitions, a lib never.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { service as cachingAgents } from '../../../apps/caching-agents/src/service';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { service as eventScheduler } from '../../../apps/event-scheduler/src/service';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { service as gateEndpoint } from '../../../apps/gate-endpoint/src/service';
import { catsView } from '../../clouddriver/cats-view';
import { DEMO_CREDENTIALS_ENV } from './demo-plan';
import { type DemoRun, startDemoRun } from './demo-run';

const ADMIN_TOKEN = 'demo-test-admin-token-0001';
const EVENTS_API_KEY = 'demo-test-events-api-key-0001';
const BASE_CONFIG = `
clouddriver: { cache: { enabled: true } }
agents: { firstRunSpreadSeconds: 0, pollIntervalMs: 100, shutdownGraceSeconds: 1, refresh: { pollIntervalMs: 200 } }
inbox: { pollIntervalMs: 200 }
log: { level: silent }
`;

/**
 * `npm start` without accounts, in one process: the demo estate's AWS endpoint, gate-endpoint,
 * event-scheduler and caching-agents on a real PostgreSQL. The built-in agents read the estate
 * through their AWS SDK clients (`aws.endpoint`), its changes arrive as EventBridge events
 * through `POST /events`, and Clouddriver's own tables follow the cache.
 */
describe('the demo estate with the services', () => {
  let db: TestDatabase;
  let dir: string;
  let demo: DemoRun;
  let shift = 0;
  let gateUrl: string;
  const apps: INestApplication[] = [];
  const savedEnv: Record<string, string | undefined> = {};
  let pg: Client;

  const get = async <T>(path: string, headers: Record<string, string> = {}): Promise<T> => {
    const res = await fetch(new URL(path, gateUrl), { headers });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };
  const serverGroups = async () =>
    (await get<{ items: { key: string }[] }>('/resources/serverGroups?account=demo')).items.map((i) => i.key);
  const events = async () =>
    (
      await get<{ items: { detailType: string; outcome: string; refreshKeys: string[] }[] }>(
        '/admin/events?limit=100',
        { authorization: `Bearer ${ADMIN_TOKEN}` },
      )
    ).items;

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'demo-estate-'));
    writeFileSync(join(dir, 'base.yaml'), BASE_CONFIG);
    const gatePort = await freePort();
    gateUrl = `http://127.0.0.1:${gatePort}`;
    demo = await startDemoRun({
      config: loadConfig('gate-endpoint', { EVENT_CACHE_CONFIG: join(dir, 'base.yaml') }),
      file: parse(BASE_CONFIG) as Record<string, unknown>,
      dataDir: dir,
      gateUrl,
      eventsApiKey: EVENTS_API_KEY,
      log: () => undefined,
      now: () => Date.now() + shift,
    });
    // As npm start gives the services: the demo's fake credentials for the SDK's provider chain.
    for (const [name, value] of Object.entries(DEMO_CREDENTIALS_ENV)) {
      savedEnv[name] = process.env[name];
      process.env[name] = value;
    }
    const env = (port: number) => ({
      DATABASE_URL: db.url,
      EVENT_CACHE_CONFIG: demo.configFile,
      PORT: String(port),
      HOST: '127.0.0.1',
      ADMIN_TOKEN,
      EVENTS_API_KEY,
    });
    apps.push(await startService(gateEndpoint, env(gatePort)));
    apps.push(await startService(eventScheduler, env(0)));
    apps.push(await startService(cachingAgents, env(0)));
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });

  afterAll(async () => {
    demo?.stop();
    for (const app of apps.reverse()) await app.close();
    await demo?.close();
    await pg?.end();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it("the agents cache the demo account over the AWS wire protocols, and Clouddriver's tables follow", async () => {
    await eventually(async () => (await serverGroups()).length === 4);
    expect(await serverGroups()).toEqual([
      'aws:serverGroups:billing-worker:demo:us-east-1:billing-worker-v002',
      'aws:serverGroups:search-main:demo:us-east-1:search-main-v012',
      'aws:serverGroups:shop-api:demo:us-east-1:shop-api-v004',
      'aws:serverGroups:shop-web:demo:us-east-1:shop-web-v001',
    ]);
    // Every agent kind read it through its SDK client.
    for (const call of [
      'ec2:DescribeInstances',
      'ec2:DescribeSecurityGroups',
      'ec2:DescribeSubnets',
      'ec2:DescribeVpcs',
      'ec2:DescribeLaunchTemplates',
      'autoScaling:DescribeAutoScalingGroups',
      'elasticLoadBalancingV2:DescribeLoadBalancers',
      'elasticLoadBalancingV2:DescribeTargetGroups',
    ])
      await eventually(() => Promise.resolve(demo.endpoint.calls.has(call)));
    await eventually(
      async () =>
        (await get<{ items: unknown[] }>('/resources/loadBalancers?account=demo')).items.length === 2,
    );

    const tables = (await catsView(pg)).join('\n');
    expect(tables).toMatch(/cats_v1_servergroups\s+4 rows/);
    expect(tables).toMatch(/cats_v1_applications\s+3 rows/);
    expect(tables).toMatch(/cats_v1_loadbalancers\s+2 rows/);
    const rows = await catsView(pg, { type: 'serverGroups' });
    expect(rows).toContainEqual(
      expect.stringMatching(
        /^aws:serverGroups:shop-web:demo:us-east-1:shop-web-v001 {2}demo\/us-east-1\/ClusterCachingAgent/,
      ),
    );
  });

  it('its events arrive through POST /events, and a deploy reaches the cache and Clouddriver by events alone', async () => {
    demo.estate.begin();
    demo.estate.advance(); // the first heartbeat
    demo.estate.deploy(demo.estate.currentGroup('shop-api')!);
    const created = 'aws:serverGroups:shop-api:demo:us-east-1:shop-api-v005';
    await eventually(async () => (await serverGroups()).includes(created));
    const seen = await events();
    expect(seen).toContainEqual(
      expect.objectContaining({ detailType: 'Scheduled Event', outcome: 'heartbeat' }),
    );
    expect(seen).toContainEqual(
      expect.objectContaining({
        detailType: 'AWS API Call via CloudTrail',
        outcome: 'refreshed',
        refreshKeys: expect.arrayContaining([created]) as unknown,
      }),
    );
    // Read by the refresh worker for the event, not by a scheduled run.
    const [request] = await db.sql(`SELECT origin, status FROM refresh_request WHERE key = $1`, [created]);
    expect(request).toEqual({ origin: 'event', status: 'succeeded' });

    // Its instances settle: the state changes and Auto Scaling's launches arrive, the cache follows.
    const launched = demo.estate.groups.get('shop-api-v005')!.Instances!.map((m) => m.InstanceId!);
    shift += 10_000;
    demo.estate.advance();
    await eventually(async () => {
      const states = await Promise.all(
        launched.map(async (id) => {
          const res = await fetch(
            new URL(
              `/resources/instances/${encodeURIComponent(`aws:instances:demo:us-east-1:${id}`)}`,
              gateUrl,
            ),
          );
          return res.ok
            ? ((await res.json()) as { attributes: { state: { name: string } } }).attributes.state.name
            : '';
        }),
      );
      return states.every((s) => s === 'running');
    });
    expect(await events()).toContainEqual(
      expect.objectContaining({ detailType: 'EC2 Instance Launch Successful', outcome: 'refreshed' }),
    );
    await eventually(async () =>
      (await catsView(pg, { type: 'serverGroups' })).some((line) => line.startsWith(created)),
    );
    expect(demo.sender.refused).toBe(0);
  });
});

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not so within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
