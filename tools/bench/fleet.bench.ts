/*
 * AWS calls and staleness on a fleet of account/regions, within AWS's request token buckets.
 *
 *   npm run bench:fleet                       # 200 account/regions
 *   BENCH_ACCOUNT_REGIONS=50 npm run bench:fleet
 *
 * No database: a simulated clock and in-memory ports, like bench:agents. Every account/region is
 * its own estate on the in-process AWS double (2-20 Auto Scaling groups, 5-200 instances, their
 * launch templates, target groups, load balancers, security groups, subnets and VPCs), changing at
 * its own steady (Poisson) rate drawn from 0-60 changes an hour (instances changing state, Auto
 * Scaling groups changing capacity). In front of the doubles, AWS's token buckets per
 * account/region (EC2 Describe 100 + 20/s, unfiltered DescribeInstances/DescribeSecurityGroups
 * 50 + 10/s, ELBv2 40 + 10/s, ...): a call finding its bucket empty fails with AWS's throttling
 * error and is counted. The shipped code runs against them: the AWS agents and refreshers
 * (`createAwsAgents`) behind the real rate limiter (`AwsRateLimiter`, `aws.rateLimits` defaults),
 * the scheduler and the refresh worker (`AgentRuntime`), for one measured simulated hour:
 *
 * - Clouddriver-style polling: every agent every 30 s. Its calls are those of one full cycle of
 *   the same agents (they make Clouddriver's calls: a Describe per agent type and page, and per
 *   load balancer, listener and target group its listeners, rules, attributes and target health),
 *   counted per API on each estate, times 120 cycles an hour.
 * - events, pipeline healthy: heartbeats keep every account/region healthy, so agents reconcile
 *   every `polling.reconcileIntervalSeconds` (1 h) on their spread slots, measured over the hour
 *   after a warm-up hour (the first runs fill the cache); each change reaches the refresh queue as
 *   an event after a simulated EventBridge/SQS delay (300 ms + exponential, mean 200 ms).
 * - events, pipeline down: no heartbeat and no event: agents fall back to 30 s polling, paced by
 *   the buckets (steady after its first cycles: measured for 10 minutes after a 5 min warm-up,
 *   calls and throttles scaled to the hour, to keep the bench within minutes).
 *
 * Staleness of a change = when the cache first holds a record read after it, minus when it
 * happened (changes not caught up with by the end count with their age then). Prints a table,
 * then as the last line one JSON object.
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import {
  type AgentAccount,
  type AgentContext,
  type AnyCachingAgent,
  InMemoryAgentStore,
  isStreamingAgent,
  VirtualClock,
} from '@event-cache/agents';
import {
  type AwsClientFactory,
  AwsRateLimiter,
  createAwsAgents,
  type RateLimitedService,
  rateLimitBuckets,
} from '@event-cache/aws-agents';
import { instanceKey, serverGroupKey } from '@event-cache/events';
import { configSchema } from '@event-cache/platform';
import { type AccountShape, AwsDouble, type LatencyModel, mulberry32 } from './aws-double';
import { percentile, printTable, round } from './bench-support';
import { simulatedRuntime, StalenessTracker } from './simulation';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const ACCOUNT_REGIONS = Number(process.env.BENCH_ACCOUNT_REGIONS ?? 200);
const REGION = 'us-east-1';
const LATENCY: LatencyModel = { baseMs: 80, perItemMs: 0.2, jitter: 0.25 };
const CONFIG = configSchema.parse({});
const POLLING_CYCLES_PER_HOUR = HOUR / (CONFIG.polling.defaultIntervalSeconds * 1_000);
/** Share of changes that are instance state changes (the rest: Auto Scaling capacity changes). */
const INSTANCE_CHANGE_SHARE = 0.85;
/** How long the pipeline-down mode is measured (then scaled to an hour). */
const DEGRADED_MEASURED_MS = 10 * MINUTE;

type Mode = 'healthy' | 'degraded';

interface Estate {
  account: AgentAccount;
  shape: AccountShape;
  changesPerHour: number;
}

/** The fleet: the same estates in every run (seeded). */
function fleet(n: number): Estate[] {
  const random = mulberry32(2026);
  const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  return Array.from({ length: n }, (_, i) => {
    const groups = between(2, 20);
    return {
      account: {
        name: `acct${String(i).padStart(3, '0')}`,
        accountId: String(100_000_000_000 + i),
        environment: 'prod',
        regions: [{ name: REGION }],
      },
      shape: {
        autoScalingGroups: groups,
        instances: between(5, 200),
        loadBalancers: Math.ceil(groups / 2),
        securityGroups: groups * 2 + 2,
        subnets: between(3, 6),
        vpcs: between(1, 2),
      },
      changesPerHour: random() * 60,
    };
  });
}

/** AWS's side of the buckets: a call finding one of its buckets empty is throttled. */
class AwsBuckets {
  throttles = 0;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number) {}

  admit(account: string, region: string, names: readonly string[]): boolean {
    const now = this.now();
    const buckets = names.map((name) => {
      const { capacity, refillPerSecond } = CONFIG.aws.rateLimits[name as keyof typeof CONFIG.aws.rateLimits];
      const key = `${account}/${region}/${name}`;
      let bucket = this.buckets.get(key);
      if (!bucket) this.buckets.set(key, (bucket = { tokens: capacity, at: now }));
      bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) * refillPerSecond) / 1_000);
      bucket.at = now;
      return bucket;
    });
    // A token in each, give or take floating-point dust.
    if (buckets.some((b) => b.tokens < 1 - 1e-6)) {
      this.throttles++;
      return false;
    }
    for (const b of buckets) b.tokens -= 1;
    return true;
  }
}

const SERVICES: readonly RateLimitedService[] = [
  'ec2',
  'autoScaling',
  'elasticLoadBalancingV2',
  'cloudWatch',
];
const THROTTLING_ERROR: Record<RateLimitedService, string> = {
  ec2: 'RequestLimitExceeded',
  autoScaling: 'Throttling',
  elasticLoadBalancingV2: 'Throttling',
  cloudWatch: 'Throttling',
  configService: 'ThrottlingException',
};

/** One AWS double per account/region behind AWS's buckets, with clients that go through `limiter`. */
class FleetAws {
  readonly buckets: AwsBuckets;
  private readonly doubles = new Map<string, AwsDouble>();

  constructor(clock: VirtualClock, estates: readonly Estate[]) {
    this.buckets = new AwsBuckets(() => clock.now().getTime());
    estates.forEach((e, i) =>
      this.doubles.set(e.account.name, new AwsDouble(clock, e.shape, LATENCY, 42 + i)),
    );
  }

  double(account: string): AwsDouble {
    return this.doubles.get(account)!;
  }

  /** Calls per API (`ec2:DescribeInstances` ...) over the whole fleet. */
  calls(): Map<string, number> {
    const total = new Map<string, number>();
    for (const d of this.doubles.values()) {
      for (const [api, n] of d.calls) total.set(api, (total.get(api) ?? 0) + n);
    }
    return total;
  }

  clients(limiter?: AwsRateLimiter): AwsClientFactory {
    type Send = (
      command: { constructor: { name: string }; input: Record<string, unknown> },
      options?: object,
    ) => Promise<unknown>;
    const client = (service: RateLimitedService) => (account: AgentAccount, region: string) => {
      const inner = (this.double(account.name).clients()[service] as unknown as () => { send: Send })();
      const send: Send = async (command, options) => {
        const operation = command.constructor.name.replace(/Command$/, '');
        const buckets = rateLimitBuckets(service, operation, command.input);
        await limiter?.take(account.name, region, buckets);
        if (!this.buckets.admit(account.name, region, buckets)) {
          throw Object.assign(new Error('Request limit exceeded.'), {
            name: THROTTLING_ERROR[service],
            $metadata: { httpStatusCode: service === 'ec2' ? 503 : 400 },
          });
        }
        return inner.send(command, options);
      };
      return { send };
    };
    const factory: Record<string, unknown> = Object.fromEntries(SERVICES.map((s) => [s, client(s)]));
    factory.configService = () => {
      throw new Error('AWS Config is not simulated');
    };
    return factory as unknown as AwsClientFactory;
  }
}

function diff(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  return new Map([...after].map(([api, n]) => [api, n - (before.get(api) ?? 0)]));
}

const sum = (calls: Map<string, number>) => [...calls.values()].reduce((a, b) => a + b, 0);

interface Outcome {
  calls: Map<string, number>;
  changes: number;
  staleness: number[];
  unresolved: number;
  throttles: number;
  wallSeconds: number;
}

/**
 * One full cycle of every agent on every estate, straight against the doubles (no limiter, no
 * buckets: what Clouddriver's cycle asks of AWS), counted per API.
 */
async function pollingCycle(estates: readonly Estate[]): Promise<Outcome> {
  const wall = performance.now();
  const clock = new VirtualClock(Date.UTC(2025, 5, 1));
  const doubles = new Map(
    estates.map((e, i) => [e.account.name, new AwsDouble(clock, e.shape, LATENCY, 42 + i)]),
  );
  const factory = Object.fromEntries(
    SERVICES.map((s) => [
      s,
      (account: AgentAccount) => (doubles.get(account.name)!.clients()[s] as unknown as () => unknown)(),
    ]),
  ) as unknown as AwsClientFactory;
  const { providers } = createAwsAgents({
    accounts: estates.map((e) => e.account),
    aws: CONFIG.aws,
    clientFactory: factory,
  });
  const signal = new AbortController().signal;
  setMaxListeners(0, signal); // every run of the cycle shares it
  const runs = estates.flatMap((e) =>
    providers.map((p) => readAll(p.create(e.account, REGION), { signal, now: () => clock.now() })),
  );
  const all = Promise.all(runs);
  await clock.advance(10 * MINUTE);
  await all;
  const calls = new Map<string, number>();
  for (const d of doubles.values()) {
    for (const [api, n] of d.calls) calls.set(api, (calls.get(api) ?? 0) + n * POLLING_CYCLES_PER_HOUR);
  }
  return {
    calls,
    changes: 0,
    staleness: [],
    unresolved: 0,
    throttles: 0,
    wallSeconds: (performance.now() - wall) / 1_000,
  };
}

async function simulate(mode: Mode, estates: readonly Estate[]): Promise<Outcome> {
  const wall = performance.now();
  const clock = new VirtualClock(Date.UTC(2025, 5, 1));
  const start = clock.now().getTime();
  const warmUp = mode === 'healthy' ? HOUR : 5 * MINUTE;
  // 30 s polling is steady after its first cycles: 10 minutes of it, scaled to the hour.
  const measured = mode === 'healthy' ? HOUR : DEGRADED_MEASURED_MS;
  const end = start + warmUp + measured;
  const store = new InMemoryAgentStore(clock);
  const aws = new FleetAws(clock, estates);
  const limiter = new AwsRateLimiter(CONFIG.aws, {
    now: () => clock.now().getTime(),
    sleep: (ms, signal) => clock.sleep(ms, signal),
  });
  const accounts = estates.map((e) => e.account);
  const { providers, refreshers } = createAwsAgents({
    accounts,
    aws: CONFIG.aws,
    clientFactory: aws.clients(limiter),
  });
  const tracker = new StalenessTracker(clock, store);
  if (mode === 'healthy') {
    for (const a of accounts) store.heartbeat(a.name, REGION, new Date(end + HOUR));
  }
  const runtime = simulatedRuntime({
    accounts,
    polling: CONFIG.polling,
    providers,
    refreshers,
    store,
    tracker,
    clock,
  });

  const random = mulberry32(7);
  const exponential = (mean: number) => -Math.log(1 - random()) * mean;
  let changes = 0;
  const deliver = (request: Parameters<InMemoryAgentStore['enqueue']>[0][number]) => {
    if (mode === 'healthy')
      clock.at(clock.now().getTime() + 300 + exponential(200), () => store.enqueue([request]));
  };
  for (const { account, changesPerHour } of estates) {
    const double = aws.double(account.name);
    const instances = double.instanceIds();
    const groups = double.groupNames();
    if (changesPerHour <= 0) continue;
    const mean = HOUR / changesPerHour;
    for (let t = start + warmUp + exponential(mean); t < end; t += exponential(mean)) {
      const instance = random() < INSTANCE_CHANGE_SHARE || groups.length === 0;
      const id = instance
        ? instances[Math.floor(random() * instances.length)]
        : groups[Math.floor(random() * groups.length)];
      clock.at(t, () => {
        changes++;
        if (instance) {
          const key = instanceKey({ account: account.name, region: REGION, instanceId: id });
          tracker.changed(key, double.changeInstance(id));
          deliver({
            type: 'instances',
            key,
            account: account.name,
            region: REGION,
            target: { id, idKind: 'instanceId', partial: false },
          });
        } else {
          const key = serverGroupKey({ account: account.name, region: REGION, serverGroup: id })!;
          tracker.changed(key, double.changeGroup(id));
          deliver({
            type: 'serverGroups',
            key,
            account: account.name,
            region: REGION,
            target: { id, idKind: 'autoScalingGroupName', partial: false },
          });
        }
      });
    }
  }

  await runtime.start();
  await clock.advance(warmUp);
  const before = aws.calls();
  const throttlesBefore = aws.buckets.throttles;
  await clock.advance(measured);
  const perHour = HOUR / measured;
  const calls = new Map([...diff(aws.calls(), before)].map(([api, n]) => [api, Math.round(n * perHour)]));
  const throttles = Math.round((aws.buckets.throttles - throttlesBefore) * perHour);
  const { samples, unresolved } = tracker.finish();
  const stopped = runtime.stop();
  await clock.advance(MINUTE);
  await stopped;
  return {
    calls,
    changes,
    staleness: samples,
    unresolved,
    throttles,
    wallSeconds: (performance.now() - wall) / 1_000,
  };
}

type Job = 'polling' | Mode;

function inWorker(jobs: Job[]): Promise<Outcome[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, {
      workerData: { jobs, accountRegions: ACCOUNT_REGIONS },
      resourceLimits: { maxYoungGenerationSizeMb: 96 },
    });
    worker.once('message', (outcomes: (Omit<Outcome, 'calls'> & { calls: [string, number][] })[]) =>
      resolve(outcomes.map((o) => ({ ...o, calls: new Map(o.calls) }))),
    );
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`simulation worker exited with ${code}`)));
  });
}

async function runJobs({ jobs, accountRegions }: { jobs: Job[]; accountRegions: number }): Promise<void> {
  const estates = fleet(accountRegions);
  const outcomes: Outcome[] = [];
  for (const job of jobs)
    outcomes.push(job === 'polling' ? await pollingCycle(estates) : await simulate(job, estates));
  parentPort!.postMessage(outcomes.map((o) => ({ ...o, calls: [...o.calls] })));
}

async function main(): Promise<void> {
  const wall = performance.now();
  const estates = fleet(ACCOUNT_REGIONS);
  // Two threads: the degraded hour (30 s polling) alone, the polling cycle and the healthy hours.
  const [[degraded], [polling, healthy]] = await Promise.all([
    inWorker(['degraded']),
    inWorker(['polling', 'healthy']),
  ]);
  const pollingCalls = sum(polling.calls);
  const eventCalls = sum(healthy.calls);
  const degradedCalls = sum(degraded.calls);
  const ratio = round(pollingCalls / Math.max(1, eventCalls), 1);
  const staleness = (o: Outcome) =>
    `${round(percentile(o.staleness, 50))} / ${round(percentile(o.staleness, 99))} ms (${o.changes} changes, ${o.unresolved} not caught up at the end)`;
  const apis = [
    ...new Set([...polling.calls.keys(), ...healthy.calls.keys(), ...degraded.calls.keys()]),
  ].sort();
  const instances = estates.reduce((n, e) => n + e.shape.instances, 0);
  const groups = estates.reduce((n, e) => n + e.shape.autoScalingGroups, 0);
  const rate = estates.reduce((n, e) => n + e.changesPerHour, 0);
  printTable(
    `bench:fleet: ${ACCOUNT_REGIONS} account/regions, one simulated hour: Clouddriver-style 30 s polling vs events (pipeline healthy, and down)`,
    [
      ['fleet', `${instances} instances in ${groups} Auto Scaling groups, ${round(rate)} changes/h in all`],
      [
        'AWS calls per hour',
        `polling ${pollingCalls}, events ${eventCalls} (ratio ${ratio}), pipeline down ${degradedCalls}`,
      ],
      ...apis.map((api): [string, string] => [
        `  ${api}`,
        `polling ${polling.calls.get(api) ?? 0}, events ${healthy.calls.get(api) ?? 0}, down ${degraded.calls.get(api) ?? 0}`,
      ]),
      ['staleness p50 / p99, events', staleness(healthy)],
      ['staleness p50 / p99, pipeline down', staleness(degraded)],
      ['throttled calls (ours)', `events ${healthy.throttles}, pipeline down ${degraded.throttles}`],
      ['peak RSS', `${round(process.resourceUsage().maxRSS / 1_024)} MB (all runs, one process)`],
      [
        'wall time',
        `${round((performance.now() - wall) / 1_000, 1)} s (polling cycle ${round(polling.wallSeconds, 1)} s, healthy ${round(healthy.wallSeconds, 1)} s, down ${round(degraded.wallSeconds, 1)} s, two threads)`,
      ],
    ],
  );
  console.log(
    JSON.stringify({
      bench: 'fleet',
      accountRegions: ACCOUNT_REGIONS,
      pollingCallsPerHour: pollingCalls,
      eventCallsPerHour: eventCalls,
      ratio,
      stalenessP99Ms: round(percentile(healthy.staleness, 99)),
      throttles: healthy.throttles,
      degradedCallsPerHour: degradedCalls,
      degradedThrottles: degraded.throttles,
      peakRssMb: round(process.resourceUsage().maxRSS / 1_024),
    }),
  );
}

if (isMainThread) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  void runJobs(workerData as { jobs: Job[]; accountRegions: number });
}

/** One full read of an agent, page after page (only its AWS calls count here). */
async function readAll(agent: AnyCachingAgent, ctx: AgentContext): Promise<void> {
  if (!isStreamingAgent(agent)) {
    await agent.load(ctx);
    return;
  }
  for await (const page of agent.stream({ ...ctx, readStartedAt: ctx.now() })) void page;
}
