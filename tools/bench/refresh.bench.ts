import 'reflect-metadata';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Client } from 'pg';
import { freePort } from '@event-cache/testing';
import { AWS_RATE_LIMIT_DEFAULTS } from '@event-cache/platform';
import { heartbeatEvent } from '../local-stack/demo/demo-events';
import { DEMO_CREDENTIALS_ENV } from '../local-stack/demo/demo-plan';
import type { AccountShape } from './aws-double';
import {
  benchDatabase,
  percentile,
  printTable,
  round,
  startServiceProcess,
  stopProcess,
} from './bench-support';

/**
 * bench:refresh — the force-refresh and memory targets of docs/architecture.md#performance-targets, on the four services as deployed (each its own
 * process from dist/, unchanged, one real PostgreSQL) and an account of ~100,000 cached resources:
 *
 * 1. Load: caching-agents polls the account until the cache holds it all; then every instance is
 *    paged through gate-endpoint's read API. AWS is the AWS double in this process, served on the
 *    wire (EC2/Auto Scaling/ELBv2 query protocols, CloudWatch's) at `aws.endpoint`, so the
 *    service's real AWS SDK clients send, receive and parse every page as they would from AWS.
 * 2. Force refresh, as Orca does it, with the event pipeline healthy (agents reconciling hourly) or,
 *    with BENCH_PIPELINE=down, while the agents poll the whole account every 30 s: POST
 *    /cache/aws/ServerGroup for distinct Auto Scaling groups at a steady rate, each followed by
 *    polling its Location until SUCCEEDED. POST sent -> SUCCEEDED seen, AWS latency excluded
 *    (the double answers at once; the service's AWS token buckets are opened wide).
 * 3. Peak RSS of each service process, sampled every 250 ms through both phases.
 */
const SHAPE: AccountShape = {
  instances: Number(process.env.BENCH_INSTANCES ?? 92_000),
  autoScalingGroups: 2_300,
  securityGroups: 1_000,
  loadBalancers: 400,
  subnets: 48,
  vpcs: 4,
};
const RATE = 20;
const SECONDS = Number(process.env.BENCH_REFRESH_SECONDS ?? 15);
const POLL_MS = 25;
/**
 * Each service runs with the V8 flags and malloc setting its Kubernetes manifest gives it
 * (`NODE_OPTIONS` and `MALLOC_ARENA_MAX` in k8s/base/<service>.yaml), as deployed. `BENCH_HEAP_CAP_MB=gate-endpoint:96,caching-agents:128`
 * overrides the old-space cap per service; `BENCH_HEAP_CAP_MB=none` runs without the manifests'
 * flags.
 */
const HEAP_CAP_MB: Partial<Record<string, number>> = Object.fromEntries(
  (process.env.BENCH_HEAP_CAP_MB ?? '')
    .split(',')
    .filter((pair) => pair.includes(':'))
    .map((pair) => [pair.split(':')[0], Number(pair.split(':')[1])]),
);
const AS_DEPLOYED = process.env.BENCH_HEAP_CAP_MB !== 'none';
/**
 * The event pipeline is healthy by default: an EventBridge heartbeat reaches gate-endpoint every
 * HEARTBEAT_SECONDS, so after their first run the agents reconcile hourly, as in production.
 * BENCH_PIPELINE=down sends none: the agents fall back to polling the account every 30 s throughout.
 */
const PIPELINE_DOWN = process.env.BENCH_PIPELINE === 'down';
const HEARTBEAT_SECONDS = 5;
const EVENTS_API_KEY = randomBytes(16).toString('hex');
/** `agents.*` settings the environment may give caching-agents (profiling, what-ifs). */
const agentSettings = [
  ['BENCH_FIRST_RUN_SPREAD', 'firstRunSpreadSeconds'],
  ['BENCH_AGENTS_CONCURRENCY', 'concurrency'],
  ['BENCH_PAGE_WRITES', 'pageWriteConcurrency'],
] as const;
/** A top-level YAML section of `lines`, or nothing when there are none (an empty one is null). */
function yamlSection(name: string, lines: string[]): string[] {
  return lines.length === 0 ? [] : [`${name}:`, ...lines.map((line) => `  ${line}`)];
}
/** With BENCH_PROJECTION=1 caching-agents also writes Clouddriver's tables (the recommended set-up). */
const PROJECTION = process.env.BENCH_PROJECTION === '1';

/** The V8 flags of a service's manifest, its old-space cap as asked for this run. */
function nodeFlags(service: string): string[] {
  const flags = AS_DEPLOYED ? manifestNodeOptions(service) : [];
  const override = HEAP_CAP_MB[service];
  const cap = (flag: string) => flag.startsWith('--max-old-space-size=');
  if (override !== undefined) return [...flags.filter((f) => !cap(f)), `--max-old-space-size=${override}`];
  return flags;
}

/** BENCH_NODE_ARGS='caching-agents:--trace-gc --optimize-for-size': extra V8 flags for one service. */
function extraNodeArgs(service: string): string[] {
  const [target, flags] = (process.env.BENCH_NODE_ARGS ?? '').split(/:(.*)/s);
  return target === service && flags ? flags.trim().split(/\s+/) : [];
}

function manifestNodeOptions(service: string): string[] {
  return manifestEnv(service, 'NODE_OPTIONS').split(/\s+/);
}

/** A variable the service's container sets in k8s/base/<service>.yaml. */
function manifestEnv(service: string, name: string): string {
  const manifest = readFileSync(join(__dirname, '..', '..', '..', 'k8s', 'base', `${service}.yaml`), 'utf8');
  const value = new RegExp(`- name: ${name}\\s+value: (.+)`).exec(manifest)?.[1];
  if (value === undefined) throw new Error(`k8s/base/${service}.yaml sets no ${name}`);
  return value.trim().replace(/^(["'])(.*)\1$/, '$2');
}
const SERVICES = ['gate-endpoint', 'event-scheduler', 'caching-agents', 'clouddriver-forwarder'] as const;
type Service = (typeof SERVICES)[number];

async function main(): Promise<void> {
  const db = await benchDatabase();
  const aws = new Worker(join(__dirname, 'aws-endpoint.worker.js'), { workerData: SHAPE });
  const { url: awsUrl, groups } = await new Promise<{ url: string; groups: string[] }>((resolve, reject) => {
    aws.once('message', resolve);
    aws.once('error', reject);
  });
  const processes = new Map<Service, { child: ChildProcess; port: number }>();
  const peakRss = new Map<Service, number>();
  let heartbeats: NodeJS.Timeout | undefined;
  const sampler = setInterval(() => {
    for (const [service, { child }] of processes) {
      const rss = rssMb(child.pid);
      if (rss > (peakRss.get(service) ?? 0)) peakRss.set(service, rss);
    }
  }, 250);
  try {
    const dir = mkdtempSync(join(tmpdir(), 'bench-refresh-'));
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      [
        'accounts:',
        "  - { name: prod, accountId: '123456789012', regions: [{ name: us-east-1 }] }",
        // agents.* as the product's defaults (first runs spread over 30 s), unless the environment says.
        ...yamlSection(
          'agents',
          agentSettings.flatMap(([env, key]) => (process.env[env] ? [`${key}: ${process.env[env]}`] : [])),
        ),
        'aws:',
        `  endpoint: ${awsUrl}`,
        // AWS latency and AWS's own limits are not what this measures.
        '  rateLimits:',
        ...Object.keys(AWS_RATE_LIMIT_DEFAULTS).map(
          (name) => `    ${name}: { capacity: 10000, refillPerSecond: 10000 }`,
        ),
        ...(PROJECTION ? ['clouddriver:', '  cache:', '    enabled: true'] : []),
        'events:',
        '  heartbeat:',
        `    periodSeconds: ${HEARTBEAT_SECONDS * 2}`,
        'log:',
        '  level: warn',
      ].join('\n'),
    );
    for (const service of SERVICES) {
      const port = await freePort();
      const child = await startServiceProcess(
        service,
        {
          DATABASE_URL: db.url,
          PORT: String(port),
          EVENT_CACHE_CONFIG: config,
          EVENTS_API_KEY,
          ...DEMO_CREDENTIALS_ENV,
          ...(AS_DEPLOYED ? { MALLOC_ARENA_MAX: manifestEnv(service, 'MALLOC_ARENA_MAX') } : {}),
        },
        {
          nodeArgs: [
            // As deployed: the V8 flags of k8s/base (NODE_OPTIONS).
            ...nodeFlags(service),
            ...extraNodeArgs(service),
          ],
          // The forwarder stays unready without a Kubernetes API; it is here for its memory only.
          readyPath: service === 'clouddriver-forwarder' ? '/health/live' : '/health/ready',
        },
      );
      processes.set(service, { child, port });
    }
    const gate = processes.get('gate-endpoint')!.port;
    if (!PIPELINE_DOWN) {
      await heartbeat(gate);
      heartbeats = setInterval(() => void heartbeat(gate).catch(() => undefined), HEARTBEAT_SECONDS * 1000);
    }

    // 1. Load.
    const observer = new Client({ connectionString: db.url, application_name: 'bench-observer' });
    await observer.connect();
    const loadStarted = performance.now();
    const exited = Promise.race(
      [...processes].map(
        ([service, { child }]) =>
          new Promise<never>((_, reject) =>
            child.once('exit', (code, signal) => reject(new Error(`${service} exited (${signal ?? code})`))),
          ),
      ),
    );
    exited.catch(() => undefined); // observed through the races below
    const cached = await Promise.race([settledCount(observer, SHAPE.instances), exited]);
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const readStarted = performance.now();
    const paged = await pageAll(gate, 'instances');
    const readSeconds = (performance.now() - readStarted) / 1000;
    if (paged !== SHAPE.instances)
      throw new Error(`read API returned ${paged} instances, not ${SHAPE.instances}`);

    // 2. Force refresh at RATE per second for SECONDS (the agents polling every 30 s if the pipeline is down).
    const latencies: number[] = [];
    const failures: string[] = [];
    const inFlight: Promise<void>[] = [];
    const started = performance.now();
    for (let i = 0; i < RATE * SECONDS; i++) {
      const due = started + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      inFlight.push(
        forceRefresh(gate, groups[i % groups.length]).then(
          (ms) => void latencies.push(ms),
          (e: unknown) => void failures.push(e instanceof Error ? e.message : String(e)),
        ),
      );
    }
    await Promise.race([Promise.all(inFlight), exited]);
    await observer.end();
    if (failures.length) throw new Error(`${failures.length} refreshes failed, e.g. ${failures[0]}`);

    clearInterval(sampler);
    const p50 = round(percentile(latencies, 50), 1);
    const p99 = round(percentile(latencies, 99), 1);
    const max = round(Math.max(...latencies), 1);
    const worstRss = Math.max(...peakRss.values());
    printTable(`bench:refresh (four service processes, real PostgreSQL, AWS on the wire answering at once)`, [
      [
        'event pipeline',
        PIPELINE_DOWN ? 'down: the agents poll every 30 s' : 'healthy (heartbeats): hourly reconcile',
      ],
      ['Clouddriver projection', PROJECTION ? 'on' : 'off'],
      [
        'cached resources',
        `${cached.toLocaleString('en-US')} (first full poll in ${round(loadSeconds, 1)} s)`,
      ],
      [
        'read API, every instance',
        `${paged.toLocaleString('en-US')} in ${round(readSeconds, 1)} s, pages of 1,000`,
      ],
      [
        `force refresh, ${RATE}/s for ${SECONDS} s`,
        `POST -> SUCCEEDED p50 ${p50} ms, p99 ${p99} ms, max ${max} ms (target p99 <= 1000)`,
      ],
      ...SERVICES.map((s): [string, string] => [
        `peak RSS ${s}`,
        `${peakRss.get(s) ?? 0} MB (target <= 200)`,
      ]),
    ]);
    console.log(
      `\ntargets: force refresh p99 <= 1 s: ${p99 <= 1000 ? 'met' : 'NOT met'}; RSS <= 200 MB: ${worstRss <= 200 ? 'met' : 'NOT met'}`,
    );
    console.log(
      `\n${JSON.stringify({
        bench: 'refresh',
        pipeline: PIPELINE_DOWN ? 'down' : 'healthy',
        projection: PROJECTION,
        cachedResources: cached,
        p99PostToProcessedMs: p99,
        peakRssMb: Object.fromEntries(SERVICES.map((s) => [s, peakRss.get(s) ?? 0])),
      })}`,
    );
  } finally {
    clearInterval(sampler);
    clearInterval(heartbeats);
    await Promise.all([...processes.values()].map(({ child }) => stopProcess(child)));
    await aws.terminate();
    await db.close();
  }
}

/** Waits until the cache holds at least `instances` instances and its row count stops moving. */
async function settledCount(observer: Client, instances: number): Promise<number> {
  const deadline = Date.now() + 10 * 60_000;
  let last = -1;
  for (;;) {
    const { rows } = await observer.query<{ all: string; instances: string }>(
      `SELECT count(*) AS all, count(*) FILTER (WHERE type = 'instances') AS instances FROM cached_resource`,
    );
    const all = Number(rows[0].all);
    if (Number(rows[0].instances) >= instances && all === last) return all;
    if (Date.now() > deadline) throw new Error(`the cache did not fill: ${all} rows`);
    last = all;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

/** Pages through every cached resource of a type with the read API; returns how many came back. */
async function pageAll(port: number, type: string): Promise<number> {
  let count = 0;
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: '1000', ...(cursor ? { cursor } : {}) });
    const res = await fetch(`http://127.0.0.1:${port}/resources/${type}?${query.toString()}`);
    if (res.status !== 200) throw new Error(`GET /resources/${type}: ${res.status}`);
    const page = (await res.json()) as { items: unknown[]; nextCursor: string | null };
    count += page.items.length;
    cursor = page.nextCursor;
  } while (cursor);
  return count;
}

/** The heartbeat rule's Scheduled Event, as EventBridge's API destination delivers it. */
async function heartbeat(port: number): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': EVENTS_API_KEY },
    body: JSON.stringify(heartbeatEvent('123456789012', 'us-east-1', 'bench-heartbeat', Date.now())),
  });
  await res.arrayBuffer();
  if (res.status >= 300) throw new Error(`POST /events (heartbeat): ${res.status}`);
}

/** Orca's way: POST, then poll the Location until the refresh is done; returns the elapsed ms. */
async function forceRefresh(port: number, asgName: string): Promise<number> {
  const sent = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/cache/aws/ServerGroup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ asgName, serverGroupName: asgName, account: 'prod', region: 'us-east-1' }),
  });
  await res.arrayBuffer();
  const location = res.headers.get('location');
  if (res.status !== 202 || !location)
    throw new Error(`POST ${asgName}: ${res.status}, Location ${location}`);
  for (;;) {
    const status = (await (await fetch(location)).json()) as { status: string; error: string | null };
    if (status.status === 'SUCCEEDED') return performance.now() - sent;
    if (status.status === 'FAILED') throw new Error(`${asgName}: ${status.error}`);
    if (performance.now() - sent > 60_000) throw new Error(`${asgName}: still ${status.status} after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
