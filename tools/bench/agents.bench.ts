/*
 * Event-driven caching against 30 s polling, on a simulated clock.
 *
 *   npm run bench:agents
 *
 * One simulated account/region (20,000 instances in 500 Auto Scaling groups, with their launch
 * templates, target groups, load balancers, security groups, subnets and VPCs) is served by an
 * in-process AWS double that answers the Describe calls with the SDK's shapes and pagination,
 * after a latency of 80 ms + 0.2 ms per item returned (±25%), counting every call. The shipped code
 * runs against it: the built-in AWS agents and refreshers (`createAwsAgents`), the scheduler and
 * the refresh worker (`AgentRuntime`), over in-memory ports on a virtual clock, for one hour:
 *
 * - polling: every agent every 30 s (no event pipeline);
 * - events + reconcile: the pipeline is healthy, so agents run every 10 min, and each change
 *   reaches the refresh queue as an event after a simulated EventBridge/SQS delay (300 ms +
 *   exponential, mean 200 ms), where the refresh worker picks it up (NOTIFY wake-up).
 *
 * Changes arrive at a steady (Poisson) rate from minute 1: instances change state, Auto Scaling
 * groups change capacity. Staleness of a change = when the cache first holds a record read after
 * it, minus when it happened (changes never caught up with by the end count with their age then).
 * Prints a table, then as the last line one JSON object.
 */
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import {
  AgentRuntime,
  type CacheRecord,
  type CacheWriterPort,
  DEFAULT_SCHEDULER_OPTIONS,
  InMemoryAgentStore,
  VirtualClock,
} from '@event-cache/agents';
import { createAwsAgents } from '@event-cache/aws-agents';
import { instanceKey, serverGroupKey } from '@event-cache/events';
import { configSchema } from '@event-cache/platform';
import { type AccountShape, AwsDouble, type LatencyModel, mulberry32, VERSION_TAG } from './aws-double';
import { percentile, printTable, round } from './bench-support';

const HOUR = 3_600_000;
const WARM_UP = 60_000;
const SHAPE: AccountShape = {
  instances: 20_000,
  autoScalingGroups: 500,
  securityGroups: 300,
  loadBalancers: 250,
  subnets: 12,
  vpcs: 2,
};
const LATENCY: LatencyModel = { baseMs: 80, perItemMs: 0.2, jitter: 0.25 };
const ACCOUNT = {
  name: 'prod',
  accountId: '123456789012',
  environment: 'prod',
  regions: [{ name: 'us-east-1' }],
};
const REGION = 'us-east-1';
const CONFIG = configSchema.parse({});
/** Steady change rates: instance state changes and Auto Scaling group capacity changes per second. */
const RATES = { instancesPerSecond: 0.2, groupsPerSecond: 0.02 };
/** Event rates shown in the table next to the steady one (the JSON line reports the steady one). */
const SWEEP = [0.02, 1];

interface Outcome {
  calls: Map<string, number>;
  totalCalls: number;
  changes: number;
  staleness: number[];
  unresolved: number;
  batches: number;
  wallSeconds: number;
}

async function simulate(eventDriven: boolean, rates: typeof RATES): Promise<Outcome> {
  const wall = performance.now();
  const clock = new VirtualClock(Date.UTC(2025, 5, 1));
  const start = clock.now().getTime();
  const store = new InMemoryAgentStore(clock);
  const aws = new AwsDouble(clock, SHAPE, LATENCY);
  const { providers, refreshers } = createAwsAgents({
    accounts: [ACCOUNT],
    aws: CONFIG.aws,
    clientFactory: aws.clients(),
  });
  const tracker = new StalenessTracker(clock, store);
  let batches = 0;
  const counted = refreshers.map((r) => ({
    types: r.types,
    refresh: (...args: Parameters<typeof r.refresh>) => {
      batches++;
      return r.refresh(...args);
    },
  }));
  if (eventDriven) store.heartbeat(ACCOUNT.name, REGION, new Date(start + 2 * HOUR));
  const runtime = new AgentRuntime({
    accounts: [ACCOUNT],
    polling: CONFIG.polling,
    providers,
    refreshers: counted,
    ports: { ...store.ports(), cache: tracker.wrap(store.cachePort) },
    scheduler: { owner: 'bench', firstRunSpreadMs: DEFAULT_SCHEDULER_OPTIONS.firstRunSpreadMs },
    refresh: { worker: 'bench' },
    clock,
  });

  const random = mulberry32(7);
  const exponential = (mean: number) => -Math.log(1 - random()) * mean;
  const instances = aws.instanceIds();
  const groups = aws.groupNames();
  let changes = 0;
  const arrivals = (perSecond: number, change: () => void) => {
    for (
      let t = start + WARM_UP + exponential(1_000 / perSecond);
      t < start + HOUR;
      t += exponential(1_000 / perSecond)
    ) {
      clock.at(t, change);
    }
  };
  const deliver = (request: Parameters<InMemoryAgentStore['enqueue']>[0][number]) => {
    if (eventDriven) clock.at(clock.now().getTime() + 300 + exponential(200), () => store.enqueue([request]));
  };
  arrivals(rates.instancesPerSecond, () => {
    const id = instances[Math.floor(random() * instances.length)];
    const key = instanceKey({ account: ACCOUNT.name, region: REGION, instanceId: id });
    tracker.changed(key, aws.changeInstance(id));
    changes++;
    deliver({
      type: 'instances',
      key,
      account: ACCOUNT.name,
      region: REGION,
      target: { id, idKind: 'instanceId', partial: false },
    });
  });
  arrivals(rates.groupsPerSecond, () => {
    const name = groups[Math.floor(random() * groups.length)];
    const key = serverGroupKey({ account: ACCOUNT.name, region: REGION, serverGroup: name })!;
    tracker.changed(key, aws.changeGroup(name));
    changes++;
    deliver({
      type: 'serverGroups',
      key,
      account: ACCOUNT.name,
      region: REGION,
      target: { id: name, idKind: 'autoScalingGroupName', partial: false },
    });
  });

  await runtime.start();
  await clock.advance(HOUR);
  const calls = new Map(aws.calls);
  const totalCalls = aws.totalCalls();
  const { samples, unresolved } = tracker.finish();
  const stopped = runtime.stop();
  await clock.advance(60_000);
  await stopped;
  return {
    calls,
    totalCalls,
    changes,
    staleness: samples,
    unresolved,
    batches,
    wallSeconds: (performance.now() - wall) / 1_000,
  };
}

/** When the cache first holds each change: watches every write through the cache port. */
class StalenessTracker {
  private readonly pending = new Map<string, { version: number; at: number }[]>();
  private readonly samples: number[] = [];

  constructor(
    private readonly clock: VirtualClock,
    private readonly store: InMemoryAgentStore,
  ) {}

  changed(key: string, version: number): void {
    const list = this.pending.get(key) ?? [];
    list.push({ version, at: this.clock.now().getTime() });
    this.pending.set(key, list);
  }

  wrap(port: CacheWriterPort): CacheWriterPort {
    return {
      write: async (records, options) => {
        const result = await port.write(records, options);
        this.observe(records);
        return result;
      },
      writeAgentPage: async (page) => {
        const result = await port.writeAgentPage(page);
        this.observe(page.resources);
        return result;
      },
      completeAgentRun: (run) => port.completeAgentRun(run),
      evict: (keys, fetchedAt) => port.evict(keys, fetchedAt),
    };
  }

  finish(): { samples: number[]; unresolved: number } {
    const now = this.clock.now().getTime();
    let unresolved = 0;
    for (const list of this.pending.values()) {
      for (const change of list) {
        this.samples.push(now - change.at);
        unresolved++;
      }
    }
    this.pending.clear();
    return { samples: this.samples, unresolved };
  }

  private observe(records: readonly CacheRecord[]): void {
    const now = this.clock.now().getTime();
    for (const { key } of records) {
      const list = this.pending.get(key);
      if (!list) continue;
      const stored = this.store.records.get(key);
      const version = stored ? versionIn(stored.record.attributes) : -1;
      const left = list.filter((change) => {
        if (change.version > version) return true;
        this.samples.push(now - change.at);
        return false;
      });
      if (left.length) this.pending.set(key, left);
      else this.pending.delete(key);
    }
  }
}

/** The version tag in an instance's `tags` or a server group's `asg.tags`. */
function versionIn(attributes: Record<string, unknown>): number {
  const tags = (attributes.tags ?? (attributes.asg as { tags?: unknown } | undefined)?.tags) as
    { key?: string; value?: string }[] | undefined;
  return Number(tags?.find((t) => t.key === VERSION_TAG)?.value ?? -1);
}

function describe(o: Outcome) {
  return {
    p50: percentile(o.staleness, 50),
    p99: percentile(o.staleness, 99),
    max: percentile(o.staleness, 100),
  };
}

interface Job {
  eventDriven: boolean;
  rates: typeof RATES;
}

/** Runs simulations in a worker thread (a roomy young generation: they allocate a lot). */
function inWorker(jobs: Job[]): Promise<Outcome[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, {
      workerData: jobs,
      resourceLimits: { maxYoungGenerationSizeMb: 96 },
    });
    worker.once('message', (outcomes: (Omit<Outcome, 'calls'> & { calls: [string, number][] })[]) =>
      resolve(outcomes.map((o) => ({ ...o, calls: new Map(o.calls) }))),
    );
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`simulation worker exited with ${code}`)));
  });
}

async function runJobs(jobs: Job[]): Promise<void> {
  const outcomes = [];
  for (const job of jobs) outcomes.push(await simulate(job.eventDriven, job.rates));
  parentPort!.postMessage(outcomes.map((o) => ({ ...o, calls: [...o.calls] })));
}

async function main(): Promise<void> {
  const wall = performance.now();
  // Two threads: the polling hour (120 full scans) alone, the event-driven hours together.
  const [[polling], [events, ...sweepRuns]] = await Promise.all([
    inWorker([{ eventDriven: false, rates: RATES }]),
    inWorker([
      { eventDriven: true, rates: RATES },
      ...SWEEP.map((rate) => ({
        eventDriven: true,
        rates: { instancesPerSecond: rate, groupsPerSecond: rate / 10 },
      })),
    ]),
  ]);
  const sweep = SWEEP.map((rate, i) => [rate, sweepRuns[i]] as const);

  const p = describe(polling);
  const e = describe(events);
  const ratio = (o: Outcome) => round(polling.totalCalls / o.totalCalls, 2);
  const apis = [...new Set([...polling.calls.keys(), ...events.calls.keys()])].sort();
  printTable(
    'bench:agents: one simulated hour, 20,000 instances / 500 ASGs, 30 s polling vs events + 10 min reconcile',
    [
      [
        'steady change rate',
        `${RATES.instancesPerSecond} instances/s + ${RATES.groupsPerSecond} ASGs/s from minute 1 (${events.changes} changes)`,
      ],
      [
        'AWS calls per hour',
        `polling ${polling.totalCalls}, events ${events.totalCalls}, ratio ${ratio(events)}`,
      ],
      ...apis.map((api): [string, string] => [
        `  ${api}`,
        `polling ${polling.calls.get(api) ?? 0}, events ${events.calls.get(api) ?? 0}`,
      ]),
      ['refresh batches (events)', `${events.batches} for ${events.changes} changes`],
      [
        'staleness, polling p50 / p99 / max',
        `${round(p.p50)} / ${round(p.p99)} / ${round(p.max)} ms (${polling.unresolved} not caught up at the end)`,
      ],
      [
        'staleness, events p50 / p99 / max',
        `${round(e.p50)} / ${round(e.p99)} / ${round(e.max)} ms (${events.unresolved} not caught up at the end)`,
      ],
      ...sweep.map(([rate, o]): [string, string] => [
        `events at ${rate} instances/s`,
        `${o.totalCalls} calls/h (ratio ${ratio(o)}), p99 staleness ${round(describe(o).p99)} ms`,
      ]),
      [
        'ratio ceiling',
        `reconcile / polling interval = ${CONFIG.polling.reconcileIntervalSeconds / CONFIG.polling.defaultIntervalSeconds} (refresh calls come on top)`,
      ],
      [
        'wall time',
        `${round((performance.now() - wall) / 1_000, 1)} s (polling hour ${round(polling.wallSeconds, 1)} s, event hours ${round(events.wallSeconds + sweep.reduce((t, [, o]) => t + o.wallSeconds, 0), 1)} s, two threads)`,
      ],
    ],
  );
  console.log(
    JSON.stringify({
      bench: 'agents',
      pollingCallsPerHour: polling.totalCalls,
      eventDrivenCallsPerHour: events.totalCalls,
      callRatio: ratio(events),
      pollingP99StalenessMs: round(p.p99),
      eventDrivenP99StalenessMs: round(e.p99),
    }),
  );
}

if (isMainThread) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  void runJobs(workerData as Job[]);
}
