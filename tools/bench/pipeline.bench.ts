import 'reflect-metadata';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { type CacheStore, openCacheStore } from '@event-cache/cache-store';
import { startService } from '@event-cache/platform';
import { FakeSqsQueue, freePort } from '@event-cache/testing';
// event-scheduler runs in this process (its SQS client is mocked in-process), so the benchmark
// imports its service definition: a tool may, a lib never.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { service as eventScheduler } from '../../apps/event-scheduler/src/service';
import {
  benchDatabase,
  percentile,
  printTable,
  round,
  startServiceProcess,
  stopProcess,
} from './bench-support';
import { eventsFixtureText } from './events-corpus';

/**
 * bench:pipeline — events accepted end to end on real PostgreSQL: half through gate-endpoint's
 * EventBridge API destination (HTTP), half through event-scheduler's SQS consumer (SQS mocked
 * in-process), into the inbox, through the decisions, to refresh requests. gate-endpoint runs as
 * its own process (as deployed), event-scheduler in this one (its SQS is mocked here), next to the
 * load generators and a refresh-worker stand-in.
 *
 * 1. Throughput: a burst of events about distinct instances; events/s from the first send until
 *    every one of them is a pending refresh request.
 * 2. Latency at a steady 500 events/s: event sent -> its refresh request claimed by a refresh
 *    worker stand-in (LISTEN on event_cache_refresh + claimBatch, as the caching agents do).
 * 3. Coalescing: 1,000 events about one instance, nobody claiming -> refresh requests for its key.
 */
const BURST = Number(process.env.BENCH_EVENTS ?? 20_000);
const RATE = 500;
const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 10);
const SAME_INSTANCE = 1_000;
const SENDERS = 64;
const API_KEY = 'bench-api-key-0123456789';

const template = JSON.parse(eventsFixtureText('eventbridge/ec2-instance-state-change.json')) as Record<
  string,
  unknown
>;
let sequence = 0;

const instanceId = (n: number) => `i-${n.toString(16).padStart(17, '0')}`;
const instanceKey = (n: number) => `aws:instances:prod:us-east-1:${instanceId(n)}`;

/** An EC2 state-change event about instance `n`, with a fresh event id. */
function stateChange(n: number): string {
  return JSON.stringify({
    ...template,
    id: `bench-${process.pid}-${sequence++}`,
    time: new Date().toISOString(),
    resources: [`arn:aws:ec2:us-east-1:123456789012:instance/${instanceId(n)}`],
    detail: { 'instance-id': instanceId(n), state: 'running' },
  });
}

/** Read-only observation of the database (counts), on a connection of its own. */
class Observer {
  private constructor(private readonly client: Client) {}

  static async open(url: string): Promise<Observer> {
    const client = new Client({ connectionString: url, application_name: 'bench-observer' });
    await client.connect();
    return new Observer(client);
  }

  async pendingRefreshes(key?: string): Promise<number> {
    const { rows } = await this.client.query<{ n: string }>(
      `SELECT count(*) AS n FROM refresh_request WHERE status = 'pending' AND ($1::text IS NULL OR key = $1)`,
      [key ?? null],
    );
    return Number(rows[0].n);
  }

  async pendingEvents(): Promise<number> {
    const { rows } = await this.client.query<{ n: string }>(
      `SELECT count(*) AS n FROM event_inbox WHERE outcome = 'pending'`,
    );
    return Number(rows[0].n);
  }

  close(): Promise<void> {
    return this.client.end();
  }
}

interface Pipeline {
  queue: FakeSqsQueue;
  store: CacheStore;
  db: Observer;
  /** Sends one event through HTTP (resolves on the 202) or SQS (resolves once queued). */
  send(body: string, channel: 'http' | 'sqs'): Promise<void>;
}

async function main(): Promise<void> {
  const database = await benchDatabase();
  const queue = new FakeSqsQueue();
  const restoreSqs = queue.install();
  const configFile = join(mkdtempSync(join(tmpdir(), 'bench-pipeline-')), 'config.yaml');
  writeFileSync(
    configFile,
    `accounts:
  - name: prod
    accountId: "123456789012"
    regions: [{ name: us-east-1 }]
sqs:
  queueUrl: ${queue.url}
  concurrency: 8
events:
  apiKey: ${API_KEY}
`,
  );
  const env = {
    DATABASE_URL: database.url,
    EVENT_CACHE_CONFIG: configFile,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
  };
  let scheduler: INestApplication | undefined;
  let gate: ChildProcess | undefined;
  const { store, close } = await openCacheStore(database.url, {
    poolSize: 2,
    applicationName: 'bench-worker',
  });
  const db = await Observer.open(database.url);
  const agent = new Agent({ keepAlive: true, maxSockets: SENDERS });
  try {
    const port = await freePort();
    gate = await startServiceProcess('gate-endpoint', { ...env, PORT: String(port) });
    scheduler = await startService(eventScheduler, env);
    const pipeline: Pipeline = {
      queue,
      store,
      db,
      async send(body, channel) {
        if (channel === 'sqs') {
          queue.send(body);
          return;
        }
        const status = await post(agent, port, '/events', body);
        if (status !== 202) throw new Error(`POST /events answered ${status}`);
      },
    };

    await burst(pipeline, 1_000, 10_000_000); // warm-up: pools, JIT
    const throughput = await burst(pipeline, BURST, 20_000_000);
    const steady = await latencyAtRate(pipeline);
    const coalesced = await sameInstance(pipeline);

    const result = {
      bench: 'pipeline',
      eventsPerSec: round(throughput.eventsPerSec),
      p99EventToRefreshMs: round(steady.p99, 1),
      refreshRequestsFor1000EventsSameInstance: coalesced,
    };
    printTable('bench:pipeline (gate-endpoint and event-scheduler processes, real PostgreSQL, SQS mocked)', [
      [
        `burst of ${BURST.toLocaleString('en-US')} events (half HTTP, half SQS)`,
        `${round(throughput.seconds, 2)} s = ${result.eventsPerSec.toLocaleString('en-US')} events/s to refresh requests (target >= 2,000)`,
      ],
      ['  of which sending (HTTP answered 202, SQS queued)', `${round(throughput.sentSeconds, 2)} s`],
      [
        `${RATE} events/s for ${RATE_SECONDS} s, sent -> refresh claimed`,
        `p50 ${round(steady.p50, 1)} ms, p99 ${result.p99EventToRefreshMs} ms, max ${round(steady.max, 1)} ms (target p99 <= 500)`,
      ],
      ['  achieved send rate', `${round(steady.achievedRate)} events/s, ${steady.samples} events measured`],
      [
        `${SAME_INSTANCE.toLocaleString('en-US')} events about one instance`,
        `${coalesced} pending refresh request(s) for its key (target 1)`,
      ],
    ]);
    console.log(JSON.stringify(result));
  } finally {
    await scheduler?.close();
    await stopProcess(gate);
    agent.destroy();
    restoreSqs();
    await db.close();
    await close();
    await database.close();
  }
}

/** POST over a keep-alive connection (node:http: a cheap client, so the load generator stays light). */
function post(agent: Agent, port: number, path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-api-key': API_KEY,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** `count` events about distinct instances as fast as the senders go; time until all are refresh requests. */
async function burst(
  p: Pipeline,
  count: number,
  firstInstance: number,
): Promise<{ seconds: number; sentSeconds: number; eventsPerSec: number }> {
  const baseline = await p.db.pendingRefreshes();
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
  await sendAll(p, count, (i) => stateChange(firstInstance + i));
  const sentSeconds = elapsed();
  // Done when every SQS message is deleted (its row committed) and no inbox event waits for a
  // decision: decisions commit together with their refresh requests. (A cheap check: the pending
  // index only holds waiting events; counting refresh requests every few ms would load the database.)
  const deadline = Date.now() + 300_000;
  while (p.queue.undeleted.length > 0 || (await p.db.pendingEvents()) > 0) {
    if (Date.now() > deadline) throw new Error('bench:pipeline: the events were not all decided');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const seconds = elapsed();
  const refreshes = (await p.db.pendingRefreshes()) - baseline;
  if (refreshes !== count)
    throw new Error(`bench:pipeline: ${count} events made ${refreshes} refresh requests`);
  return { seconds, sentSeconds, eventsPerSec: count / seconds };
}

/** Sends `count` events from SENDERS concurrent senders, alternating HTTP and SQS. */
async function sendAll(p: Pipeline, count: number, body: (i: number) => string): Promise<void> {
  let next = 0;
  const sender = async () => {
    while (next < count) {
      const i = next++;
      await p.send(body(i), i % 2 === 0 ? 'http' : 'sqs');
    }
  };
  await Promise.all(Array.from({ length: SENDERS }, sender));
}

/** Event sent -> refresh request claimed, at a steady rate, with a refresh-worker stand-in claiming. */
async function latencyAtRate(p: Pipeline): Promise<{
  p50: number;
  p99: number;
  max: number;
  samples: number;
  achievedRate: number;
}> {
  const first = 30_000_000;
  const total = RATE * RATE_SECONDS;
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const claimer = await startClaimer(p.store, (keys, claimedAt) => {
    for (const key of keys) {
      const at = sentAt.get(key);
      if (at !== undefined) latencies.push(claimedAt - at);
    }
  });
  // What the burst left pending is claimed first, before the clock starts.
  while ((await p.db.pendingRefreshes()) > 0) await new Promise((resolve) => setTimeout(resolve, 50));

  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < total; i++) {
    const wait = started + (i * 1000) / RATE - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    sentAt.set(instanceKey(first + i), performance.now());
    const sending = p.send(stateChange(first + i), i % 2 === 0 ? 'http' : 'sqs');
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
  }
  const achievedRate = total / ((performance.now() - started) / 1000);
  await Promise.all(inFlight);
  const deadline = Date.now() + 60_000;
  while (latencies.length < total && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  await claimer.stop();
  if (latencies.length < total)
    throw new Error(`bench:pipeline: only ${latencies.length}/${total} refreshes claimed`);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: Math.max(...latencies),
    samples: latencies.length,
    achievedRate,
  };
}

/** The refresh-worker stand-in: woken by NOTIFY (100 ms polling fallback), claims, completes. */
async function startClaimer(
  store: CacheStore,
  onClaimed: (keys: string[], claimedAt: number) => void,
): Promise<{ stop(): Promise<void> }> {
  let stopped = false;
  let wake: (() => void) | undefined;
  const unlisten = await store.listen(['event_cache_refresh'], () => wake?.());
  const loop = (async () => {
    while (!stopped) {
      const batch = await store.refreshes.claimBatch({
        worker: 'bench-worker',
        limit: 1_000,
        claimTtlMs: 60_000,
      });
      if (batch.length > 0) {
        onClaimed(
          batch.map((r) => r.key),
          performance.now(),
        );
        await store.refreshes.complete(
          'bench-worker',
          batch.map((r) => r.id),
          new Date(),
        );
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100);
      });
    }
  })();
  return {
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      await unlisten();
    },
  };
}

/** 1,000 events about one instance, nobody claiming: pending refresh requests for its key. */
async function sameInstance(p: Pipeline): Promise<number> {
  const n = 40_000_000;
  await sendAll(p, SAME_INSTANCE, () => stateChange(n));
  const deadline = Date.now() + 60_000;
  while (p.queue.undeleted.length > 0 || (await p.db.pendingEvents()) > 0) {
    if (Date.now() > deadline)
      throw new Error('bench:pipeline: the same-instance events were not all decided');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return p.db.pendingRefreshes(instanceKey(n));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
