import 'reflect-metadata';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { systemClock } from '@event-cache/agents';
import { freePort } from '@event-cache/testing';
import { type AccountShape, AwsDouble } from './aws-double';
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
 * process from dist/, one real PostgreSQL) and an account of ~100,000 cached resources:
 *
 * 1. Load: caching-agents polls the account (every EC2, Auto Scaling and ELBv2 call answered at
 *    once by the in-process AWS double, preloaded into its process) until the cache holds it all;
 *    then every instance is paged through gate-endpoint's read API.
 * 2. Force refresh, as Orca does it, while the agents keep polling every 30 s: POST
 *    /cache/aws/ServerGroup for distinct Auto Scaling groups at a steady rate, each followed by
 *    polling its Location until SUCCEEDED. POST sent -> SUCCEEDED seen, AWS latency excluded
 *    (the double answers at once; our own AWS rate limiter is bypassed with it).
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
 * Each service runs with the V8 flags its Kubernetes manifest gives it (`NODE_OPTIONS` in
 * k8s/base/<service>.yaml), as deployed. caching-agents' old space gets `DOUBLE_HEAP_ALLOWANCE_MB`
 * on top: the AWS double preloaded into its process keeps its estate there (its heap is measured
 * and taken off the RSS reported). `BENCH_HEAP_CAP_MB=gate-endpoint:96,caching-agents:128`
 * overrides the old-space cap per service (the allowance is not added then); `BENCH_HEAP_CAP_MB=none`
 * runs without the manifests' flags.
 */
const DOUBLE_HEAP_ALLOWANCE_MB = 96;
const HEAP_CAP_MB: Partial<Record<string, number>> = Object.fromEntries(
  (process.env.BENCH_HEAP_CAP_MB ?? '')
    .split(',')
    .filter((pair) => pair.includes(':'))
    .map((pair) => [pair.split(':')[0], Number(pair.split(':')[1])]),
);
const AS_DEPLOYED = process.env.BENCH_HEAP_CAP_MB !== 'none';
/** With BENCH_PROJECTION=1 caching-agents also writes Clouddriver's tables (the recommended set-up). */
const PROJECTION = process.env.BENCH_PROJECTION === '1';

/** The V8 flags of a service's manifest, its old-space cap as asked for this run. */
function nodeFlags(service: string): string[] {
  const flags = AS_DEPLOYED ? manifestNodeOptions(service) : [];
  const override = HEAP_CAP_MB[service];
  const cap = (flag: string) => flag.startsWith('--max-old-space-size=');
  if (override !== undefined) return [...flags.filter((f) => !cap(f)), `--max-old-space-size=${override}`];
  if (service !== 'caching-agents') return flags;
  return flags.map((f) =>
    cap(f) ? `--max-old-space-size=${Number(f.split('=')[1]) + DOUBLE_HEAP_ALLOWANCE_MB}` : f,
  );
}

function manifestNodeOptions(service: string): string[] {
  const manifest = readFileSync(join(__dirname, '..', '..', '..', 'k8s', 'base', `${service}.yaml`), 'utf8');
  const value = /- name: NODE_OPTIONS\s+value: (.+)/.exec(manifest)?.[1];
  if (value === undefined) throw new Error(`k8s/base/${service}.yaml sets no NODE_OPTIONS`);
  return value.trim().split(/\s+/);
}
const SERVICES = ['gate-endpoint', 'event-scheduler', 'caching-agents', 'clouddriver-forwarder'] as const;
type Service = (typeof SERVICES)[number];

async function main(): Promise<void> {
  const db = await benchDatabase();
  const processes = new Map<Service, { child: ChildProcess; port: number }>();
  const peakRss = new Map<Service, number>();
  const sampler = setInterval(() => {
    for (const [service, { child }] of processes) {
      const rss = rssMb(child.pid);
      if (rss > (peakRss.get(service) ?? 0)) peakRss.set(service, rss);
    }
  }, 250);
  try {
    const dir = mkdtempSync(join(tmpdir(), 'bench-refresh-'));
    const config = join(dir, 'config.yaml');
    const doubleReport = join(dir, 'aws-double-heap');
    writeFileSync(
      config,
      [
        'accounts:',
        "  - { name: prod, accountId: '123456789012', regions: [{ name: us-east-1 }] }",
        'agents:',
        '  firstRunSpreadSeconds: 1',
        ...(PROJECTION ? ['clouddriver:', '  cache:', '    enabled: true'] : []),
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
          ...(service === 'caching-agents'
            ? { BENCH_AWS_SHAPE: JSON.stringify(SHAPE), BENCH_DOUBLE_REPORT: doubleReport }
            : {}),
        },
        {
          nodeArgs: [
            // As deployed: the V8 flags of k8s/base (NODE_OPTIONS).
            ...nodeFlags(service),
            ...(service === 'caching-agents'
              ? ['--expose-gc', '-r', join(__dirname, 'aws-double.preload.js')]
              : []),
          ],
          // The forwarder stays unready without a Kubernetes API; it is here for its memory only.
          readyPath: service === 'clouddriver-forwarder' ? '/health/live' : '/health/ready',
        },
      );
      processes.set(service, { child, port });
    }
    const gate = processes.get('gate-endpoint')!.port;

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

    // 2. Force refresh at RATE per second for SECONDS, while the agents go on polling.
    const groups = new AwsDouble(systemClock, SHAPE, { baseMs: 0, perItemMs: 0, jitter: 0 }).groupNames();
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
    // caching-agents' process also holds the AWS double; its heap is not the service's.
    const doubleMb = Math.round(Number(readFileSync(doubleReport, 'utf8')) / 1024 / 1024);
    const agentsRss = (peakRss.get('caching-agents') ?? 0) - doubleMb;
    const serviceRss = new Map(peakRss).set('caching-agents', agentsRss);
    const worstRss = Math.max(...serviceRss.values());
    printTable(`bench:refresh (four service processes, real PostgreSQL, AWS answered at once)`, [
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
        s === 'caching-agents'
          ? `${agentsRss} MB (target <= 200): ${peakRss.get(s)} MB less the AWS double's ${doubleMb} MB heap`
          : `${peakRss.get(s) ?? 0} MB (target <= 200)`,
      ]),
    ]);
    console.log(
      `\ntargets: force refresh p99 <= 1 s: ${p99 <= 1000 ? 'met' : 'NOT met'}; RSS <= 200 MB: ${worstRss <= 200 ? 'met' : 'NOT met'}`,
    );
    console.log(
      `\n${JSON.stringify({
        bench: 'refresh',
        cachedResources: cached,
        p99PostToProcessedMs: p99,
        peakRssMb: Object.fromEntries(SERVICES.map((s) => [s, serviceRss.get(s) ?? 0])),
      })}`,
    );
  } finally {
    clearInterval(sampler);
    await Promise.all([...processes.values()].map(({ child }) => stopProcess(child)));
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
