import type { AgentAccount, CachingAgentProvider } from '../caching-agent';
import { InMemoryAgentStore } from '../testing/in-memory-agent-store';
import { VirtualClock } from '../testing/virtual-clock';
import { AgentRuntime } from './agent-runtime';
import { nextRunAt, RunPhases } from './run-phases';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const KINDS = ['InstanceCachingAgent', 'ClusterCachingAgent', 'SubnetCachingAgent', 'VpcCachingAgent'];
/** 30 accounts x 2 regions x 4 kinds = 240 agents. */
const ACCOUNTS: AgentAccount[] = Array.from({ length: 30 }, (_, i) => ({
  name: `acct${String(i).padStart(2, '0')}`,
  accountId: String(100_000_000_000 + i),
  environment: 'prod',
  regions: [{ name: 'us-east-1' }, { name: 'eu-west-1' }],
}));
const AGENTS = ACCOUNTS.length * 2 * KINDS.length;
const POLLING = {
  defaultIntervalSeconds: 30,
  intervalSecondsByKind: {},
  reconcileIntervalSeconds: 3_600,
  environmentMultipliers: {},
};
/** What the spread allows: N agents over an hour start at most ⌈N / 60⌉ a minute (+1: start lag). */
const MOST_PER_MINUTE = Math.ceil(AGENTS / 60) + 1;

describe('nextRunAt', () => {
  const at = Date.UTC(2025, 0, 1, 12);

  it('puts the next run on the agent slot nearest to one interval after the start', () => {
    // Phase 0.25 of an hour: slots at :15 past each hour.
    expect(nextRunAt({ startedAt: at, finishedAt: at + 1_000 }, HOUR, 0.25)).toBe(at + HOUR + 15 * MINUTE);
    // Started at :50: one hour later is :50, nearest slot is :15 of the hour after that.
    const late = at + 50 * MINUTE;
    expect(nextRunAt({ startedAt: late, finishedAt: late + 1_000 }, HOUR, 0.25)).toBe(
      at + 2 * HOUR + 15 * MINUTE,
    );
    // On its slot, it stays there: exactly one interval.
    const onSlot = at + 15 * MINUTE;
    expect(nextRunAt({ startedAt: onSlot, finishedAt: onSlot + 2_000 }, HOUR, 0.25)).toBe(onSlot + HOUR);
  });

  it('leaves a tenth of the interval after a run that overran, as without phases', () => {
    expect(nextRunAt({ startedAt: at, finishedAt: at + 45_000 }, 30_000, 0.5)).toBe(at + 48_000);
  });
});

describe('RunPhases', () => {
  it('gives every agent of the schedule its own even share of the interval, the same on every replica', () => {
    const agents = ACCOUNTS.flatMap((a) =>
      KINDS.map((kind) => ({
        agentId: `${a.name}/us-east-1/${kind}`,
        kind,
        account: a.name,
        region: 'us-east-1',
      })),
    );
    const one = new RunPhases();
    const other = new RunPhases();
    one.update(agents);
    other.update([...agents].reverse());
    const phases = agents.map((a) => one.of(a.agentId));
    expect(new Set(phases).size).toBe(agents.length);
    expect(Math.min(...phases)).toBe(0);
    expect(Math.max(...phases)).toBeLessThan(1);
    expect(agents.map((a) => other.of(a.agentId))).toEqual(phases);
    // The kinds of one account/region are an interval / kinds apart.
    const ofAccount = KINDS.map((kind) => one.of(`acct07/us-east-1/${kind}`)).sort();
    expect(ofAccount[1] - ofAccount[0]).toBeCloseTo(1 / KINDS.length);
  });
});

describe('agents on the reconcile interval', () => {
  let clock: VirtualClock;
  let store: InMemoryAgentStore;
  let starts: { agentId: string; at: number }[];
  const runtimes: AgentRuntime[] = [];

  const providers: CachingAgentProvider[] = KINDS.map((kind) => ({
    kind,
    create: (account, region) => {
      const id = `${account.name}/${region}/${kind}`;
      return {
        id,
        provider: 'aws',
        kind,
        account: account.name,
        region,
        authoritativeTypes: [kind],
        load: (ctx) => {
          starts.push({ agentId: id, at: ctx.now().getTime() });
          return Promise.resolve({ readStartedAt: ctx.now(), resources: [] });
        },
      };
    },
  }));

  const start = async (firstRunSpreadMs: number) => {
    const runtime = new AgentRuntime({
      accounts: ACCOUNTS,
      polling: POLLING,
      providers,
      ports: store.ports(),
      // Polls every 5 s (slots are 15 s apart): a start lags its slot by up to 5 s.
      scheduler: {
        owner: `replica-${runtimes.length}`,
        concurrency: 16,
        firstRunSpreadMs,
        pollIntervalMs: 5_000,
      },
      refresh: { worker: 'replica' },
      runRefreshWorker: false,
      clock,
    });
    runtimes.push(runtime);
    await runtime.start();
    return runtime;
  };
  const stop = async (runtime: AgentRuntime) => {
    const stopped = runtime.stop();
    await clock.advance(MINUTE);
    await stopped;
  };
  const heartbeats = (until: number) => {
    for (const account of ACCOUNTS) {
      for (const { name } of account.regions) store.heartbeat(account.name, name, new Date(until));
    }
  };
  /** The most runs that started in any one minute of [from, to). */
  const busiestMinute = (from: number, to: number) => {
    const perMinute = new Map<number, number>();
    for (const { at } of starts) {
      if (at < from || at >= to) continue;
      const minute = Math.floor(at / MINUTE);
      perMinute.set(minute, (perMinute.get(minute) ?? 0) + 1);
    }
    return { most: Math.max(0, ...perMinute.values()), minutes: perMinute.size };
  };
  const runsPerAgent = (from: number, to: number) => {
    const counts = new Map<string, number>();
    for (const { agentId, at } of starts)
      if (at >= from && at < to) counts.set(agentId, (counts.get(agentId) ?? 0) + 1);
    return counts;
  };

  beforeEach(() => {
    clock = new VirtualClock(Date.UTC(2025, 0, 1));
    store = new InMemoryAgentStore(clock);
    starts = [];
  });
  afterEach(async () => {
    for (const runtime of runtimes.splice(0)) await stop(runtime);
  });

  it('spread over the hour after they all ran at once (a first start), and stay spread', async () => {
    const t0 = clock.now().getTime();
    heartbeats(t0 + 10 * HOUR);
    await start(0);
    await clock.advance(MINUTE);
    expect(busiestMinute(t0, t0 + MINUTE).most).toBe(AGENTS); // everything ran at once

    await clock.advance(3 * HOUR);
    const from = t0 + 90 * MINUTE;
    const to = t0 + 3 * HOUR;
    const { most, minutes } = busiestMinute(from, to);
    expect(most).toBeLessThanOrEqual(MOST_PER_MINUTE);
    expect(minutes).toBeGreaterThanOrEqual(80); // every minute of the 90 has runs, give or take
    // ... and each agent still runs once an hour.
    const counts = [...runsPerAgent(t0 + HOUR + 30 * MINUTE, t0 + 2 * HOUR + 30 * MINUTE).values()];
    expect(counts).toHaveLength(AGENTS);
    expect(new Set(counts)).toEqual(new Set([1]));
  });

  it('spread when the pipeline turns healthy (all switch from 30 s at once), and after a restart', async () => {
    const t0 = clock.now().getTime();
    const first = await start(30_000);
    await clock.advance(10 * MINUTE);
    // Polling every 30 s: every agent runs about 20 times in 10 minutes.
    expect(Math.min(...runsPerAgent(t0, t0 + 10 * MINUTE).values())).toBeGreaterThanOrEqual(19);

    const healthyAt = clock.now().getTime();
    heartbeats(healthyAt + 10 * HOUR);
    await clock.advance(2 * HOUR);
    expect(busiestMinute(healthyAt + 2 * MINUTE, healthyAt + 2 * HOUR).most).toBeLessThanOrEqual(
      MOST_PER_MINUTE,
    );

    // A restart keeps every agent on its slot (the slots that fell in the minute it was down run
    // as soon as it is back, then those agents are on their slots again).
    await stop(first);
    runtimes.splice(runtimes.indexOf(first), 1);
    const restartedAt = clock.now().getTime();
    await start(30_000);
    await clock.advance(2 * HOUR);
    expect(busiestMinute(restartedAt + MINUTE, restartedAt + 2 * HOUR).most).toBeLessThanOrEqual(
      MOST_PER_MINUTE,
    );
    const counts = [...runsPerAgent(restartedAt + 30 * MINUTE, restartedAt + 90 * MINUTE).values()];
    expect(counts).toHaveLength(AGENTS);
    expect(new Set(counts)).toEqual(new Set([1]));
  });
});
