import type { AgentAccount, AgentContext, AgentLoadResult, CachingAgentProvider } from '../caching-agent';
import { InMemoryAgentStore } from '../testing/in-memory-agent-store';
import { VirtualClock } from '../testing/virtual-clock';
import { AgentRuntime } from './agent-runtime';
import { retryDelay } from './clock';

const PROD: AgentAccount = {
  name: 'prod',
  accountId: '123456789012',
  environment: 'prod',
  regions: [{ name: 'us-east-1' }],
};
const POLLING = {
  defaultIntervalSeconds: 30,
  intervalSecondsByKind: {},
  reconcileIntervalSeconds: 600,
  environmentMultipliers: {},
};

type Load = (ctx: AgentContext, run: number) => Promise<AgentLoadResult>;

function provider(kind: string, load: Load, types = ['instances']): CachingAgentProvider {
  let run = 0;
  return {
    kind,
    create: (account, region) => ({
      id: `${account.name}/${region}/${kind}`,
      provider: 'aws',
      kind,
      account: account.name,
      region,
      authoritativeTypes: types,
      load: (ctx) => load(ctx, ++run),
    }),
  };
}

function instance(id: string, state = 'running') {
  return {
    key: `aws:instances:prod:us-east-1:${id}`,
    type: 'instances',
    account: 'prod',
    region: 'us-east-1',
    attributes: { instanceId: id, state },
  };
}

function throttled(): Error {
  return Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
}

describe('AgentScheduler', () => {
  let clock: VirtualClock;
  let store: InMemoryAgentStore;
  let runtime: AgentRuntime;

  const start = async (
    providers: CachingAgentProvider[],
    scheduler: Record<string, number> = {},
    ports = store.ports(),
  ) => {
    runtime = new AgentRuntime({
      accounts: [PROD],
      polling: POLLING,
      providers,
      ports,
      scheduler: { owner: 'replica-a', firstRunSpreadMs: 0, leaseTtlMs: 30_000, ...scheduler },
      refresh: { worker: 'replica-a' },
      runRefreshWorker: false,
      clock,
    });
    await runtime.start();
  };
  const schedule = (id: string) => store.schedules.get(id)!;
  const keys = () => [...store.records.keys()].sort();

  beforeEach(() => {
    clock = new VirtualClock();
    store = new InMemoryAgentStore(clock);
  });
  afterEach(async () => {
    const stopped = runtime?.stop();
    await clock.advance(60_000);
    await stopped;
  });

  it('writes complete runs, evicts what a later run no longer returns, and runs again after the interval', async () => {
    const t0 = clock.now().getTime();
    await start([
      provider('InstanceCachingAgent', (ctx, run) =>
        Promise.resolve({
          readStartedAt: ctx.now(),
          resources: run === 1 ? [instance('i-1'), instance('i-2')] : [instance('i-1')],
        }),
      ),
    ]);
    await clock.advance(100);
    expect(keys()).toEqual(['aws:instances:prod:us-east-1:i-1', 'aws:instances:prod:us-east-1:i-2']);
    const first = schedule('prod/us-east-1/InstanceCachingAgent');
    expect(first.lastRunStats).toMatchObject({ additions: 2, evictions: 0, error: null });
    expect(first.nextRunAt.getTime()).toBe(t0 + 30_000);

    await clock.advance(29_000);
    expect(keys()).toHaveLength(2);
    await clock.advance(1_000);
    expect(keys()).toEqual(['aws:instances:prod:us-east-1:i-1']);
    expect(schedule('prod/us-east-1/InstanceCachingAgent').lastRunStats).toMatchObject({
      additions: 0,
      evictions: 1,
    });
  });

  it('writes and evicts nothing after a failed run, and records the error', async () => {
    await start([
      provider('InstanceCachingAgent', (ctx, run) =>
        run === 1
          ? Promise.resolve({ readStartedAt: ctx.now(), resources: [instance('i-1'), instance('i-2')] })
          : Promise.reject(new Error('DescribeInstances: socket hang up')),
      ),
    ]);
    await clock.advance(30_100);
    expect(keys()).toHaveLength(2);
    expect(schedule('prod/us-east-1/InstanceCachingAgent').lastRunStats).toMatchObject({
      additions: 0,
      evictions: 0,
      error: 'DescribeInstances: socket hang up',
    });
  });

  it('backs the whole account/region off on throttling (doubling, capped) and walks it back on success', async () => {
    const outcomes = ['ok', 'throttle', 'throttle', 'throttle', 'ok', 'ok', 'ok', 'ok'];
    await start(
      [
        provider('InstanceCachingAgent', (ctx, run) =>
          outcomes[run - 1] === 'throttle'
            ? Promise.reject(throttled())
            : Promise.resolve({ readStartedAt: ctx.now(), resources: [instance(`i-${run}`)] }),
        ),
        provider('VpcCachingAgent', (ctx) => Promise.resolve({ readStartedAt: ctx.now(), resources: [] }), [
          'vpcs',
        ]),
      ],
      { maxThrottleFactor: 4 },
    );
    const instanceAgent = () => schedule('prod/us-east-1/InstanceCachingAgent');
    const factors: number[] = [];
    for (let run = 1; run <= outcomes.length; run++) {
      await clock.advance(Math.max(0, instanceAgent().nextRunAt.getTime() - clock.now().getTime()) + 10);
      factors.push(instanceAgent().dynamicFactor);
      if (run === 4) {
        // The sibling shares the back-off, and its own successes did not walk it back meanwhile.
        expect(schedule('prod/us-east-1/VpcCachingAgent')).toMatchObject({
          dynamicFactor: 4,
          intervalMs: 120_000,
        });
        expect(instanceAgent()).toMatchObject({
          consecutiveThrottles: 3,
          intervalMs: 120_000,
          intervalReason: 'base 30s (polling.defaultIntervalSeconds) × 4 (throttling back-off) = 2m',
        });
      }
    }
    expect(factors.slice(0, 4)).toEqual([1, 2, 4, 4]);
    expect(factors[4]).toBeLessThanOrEqual(2);
    expect(factors[7]).toBe(1);
    expect(instanceAgent()).toMatchObject({ intervalMs: 30_000, consecutiveThrottles: 0 });
    expect(schedule('prod/us-east-1/VpcCachingAgent')).toMatchObject({
      dynamicFactor: 1,
      intervalMs: 30_000,
    });
    // Throttled runs wrote nothing: only successful runs' instances were cached (the last evicted the rest).
    expect(keys()).toEqual(['aws:instances:prod:us-east-1:i-8']);
  });

  it('does not write a run whose lease was lost, and leaves the lease to its new owner', async () => {
    let finish!: () => void;
    await start(
      [
        provider(
          'InstanceCachingAgent',
          (ctx) =>
            new Promise((resolve) => {
              finish = () => resolve({ readStartedAt: ctx.now(), resources: [instance('i-1')] });
            }),
        ),
      ],
      { leaseTtlMs: 3_000 },
    );
    await clock.advance(10);
    // Another replica took the lease over (e.g. this one stalled past the TTL).
    store.leases.set('prod/us-east-1/InstanceCachingAgent', {
      owner: 'replica-b',
      token: '999',
      expiresAt: clock.now().getTime() + 60_000,
    });
    finish();
    await clock.advance(10);
    expect(keys()).toEqual([]);
    expect(store.leases.get('prod/us-east-1/InstanceCachingAgent')?.owner).toBe('replica-b');
    expect(schedule('prod/us-east-1/InstanceCachingAgent').lastRun).toBeNull();
    expect(runtime.scheduler.inFlight()).toEqual([]);
  });

  it('aborts a run when the lease extension reports it lost, without waiting for the agent', async () => {
    let signal: AbortSignal | undefined;
    await start(
      [
        provider('InstanceCachingAgent', (ctx) => {
          signal = ctx.signal;
          return new Promise(() => {}); // ignores its signal
        }),
      ],
      { leaseTtlMs: 3_000 },
    );
    await clock.advance(10);
    store.leases.get('prod/us-east-1/InstanceCachingAgent')!.owner = 'replica-b';
    await clock.advance(1_000); // the keeper extends every TTL / 3
    expect(signal?.aborted).toBe(true);
    expect(runtime.scheduler.inFlight()).toEqual([]);
  });

  it('fails a run that outlives its time limit, and runs the agent again at its interval', async () => {
    let runs = 0;
    await start(
      [
        provider('InstanceCachingAgent', (ctx, run) => {
          runs = run;
          return run === 1
            ? new Promise(() => {}) // a hung AWS call, deaf to its signal
            : Promise.resolve({ readStartedAt: ctx.now(), resources: [instance('i-1')] });
        }),
      ],
      { runTimeoutMs: 120_000 },
    );
    await clock.advance(120_100);
    const agent = schedule('prod/us-east-1/InstanceCachingAgent');
    expect(agent.lastRunStats).toMatchObject({ error: 'aborted: the run took longer than its time limit' });
    expect(store.leases.size).toBe(0);
    expect(keys()).toEqual([]);
    await clock.advance(agent.nextRunAt.getTime() - clock.now().getTime() + 10);
    expect(runs).toBe(2);
    expect(keys()).toEqual(['aws:instances:prod:us-east-1:i-1']);
  });

  it('never runs more agents at once than its concurrency', async () => {
    let running = 0;
    let peak = 0;
    const slow: Load = async (ctx) => {
      running++;
      peak = Math.max(peak, running);
      await clock.sleep(10_000);
      running--;
      return { readStartedAt: ctx.now(), resources: [] };
    };
    await start(
      ['A', 'B', 'C', 'D', 'E'].map((k) => provider(`${k}CachingAgent`, slow)),
      { concurrency: 2 },
    );
    await clock.advance(31_000);
    expect(peak).toBe(2);
    expect([...store.schedules.values()].every((s) => s.lastRun !== null)).toBe(true);
  });

  it('on shutdown lets runs finish within the grace, aborts the rest and releases every lease', async () => {
    await start(
      [
        provider('InstanceCachingAgent', async (ctx) => {
          await clock.sleep(2_000);
          return { readStartedAt: ctx.now(), resources: [instance('i-1')] };
        }),
        provider('ClusterCachingAgent', () => new Promise(() => {}), ['serverGroups']),
      ],
      { shutdownGraceMs: 5_000 },
    );
    await clock.advance(10);
    expect(runtime.scheduler.inFlight().sort()).toEqual([
      'prod/us-east-1/ClusterCachingAgent',
      'prod/us-east-1/InstanceCachingAgent',
    ]);
    const stopped = runtime.stop();
    await clock.advance(6_000);
    await stopped;

    expect(keys()).toEqual(['aws:instances:prod:us-east-1:i-1']);
    expect(store.leases.size).toBe(0);
    const aborted = schedule('prod/us-east-1/ClusterCachingAgent');
    expect(aborted.lastRunStats?.error).toBe('aborted: the replica is shutting down');
    // Due again at once, so another replica picks it up.
    expect(aborted.nextRunAt.getTime()).toBeLessThanOrEqual(clock.now().getTime());
    expect(schedule('prod/us-east-1/InstanceCachingAgent').nextRunAt.getTime()).toBeGreaterThan(
      clock.now().getTime(),
    );
  });

  it('sends a release the database refused again, so the agent is not held until its lease expires', async () => {
    const t0 = clock.now().getTime();
    const ports = store.ports();
    let down = true;
    const outage = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    const leases = {
      ...ports.leases,
      release: (...args: Parameters<typeof ports.leases.release>) =>
        down ? outage() : ports.leases.release(...args),
      acquireDue: (...args: Parameters<typeof ports.leases.acquireDue>) =>
        down && clock.now().getTime() > t0 ? outage() : ports.leases.acquireDue(...args),
    };
    await start(
      [
        provider('InstanceCachingAgent', (ctx) =>
          Promise.resolve({ readStartedAt: ctx.now(), resources: [] }),
        ),
      ],
      {},
      { ...ports, leases },
    );
    await clock.advance(100); // ran, and its release failed: the lease (30 s) is still held
    expect(store.leases.has('prod/us-east-1/InstanceCachingAgent')).toBe(true);
    await clock.advance(10_000);
    down = false;
    await clock.advance(6_000); // backed off at most 5 s between attempts
    expect(store.leases.has('prod/us-east-1/InstanceCachingAgent')).toBe(false);
    expect(schedule('prod/us-east-1/InstanceCachingAgent')).toMatchObject({
      nextRunAt: new Date(t0 + 30_000),
      lastRunStats: expect.objectContaining({ error: null }),
    });
  });
});

describe('retryDelay', () => {
  it('doubles the pause with each failure in a row, up to 5 s, and never below the usual wait', () => {
    expect([1, 2, 3, 4, 5, 60].map((n) => retryDelay(n, 1_000))).toEqual([
      1_000, 2_000, 4_000, 5_000, 5_000, 5_000,
    ]);
    expect(retryDelay(1, 20)).toBe(20);
    expect(retryDelay(30, 60_000)).toBe(60_000);
  });
});

describe('AgentScheduler: retiring agents no configuration has', () => {
  const WINDOW = 600_000; // retireAfterMs
  const BOTH: AgentAccount = { ...PROD, regions: [{ name: 'us-east-1' }, { name: 'us-west-2' }] };
  let clock: VirtualClock;
  let store: InMemoryAgentStore;
  let running: AgentRuntime[];
  const logs: string[] = [];

  /** A replica with this configuration, whose agents cache one instance of their region. */
  const replica = async (owner: string, account: AgentAccount) => {
    const runtime = new AgentRuntime({
      accounts: [account],
      polling: POLLING,
      providers: [regionalInstances],
      ports: store.ports(),
      scheduler: { owner, firstRunSpreadMs: 0, retireAfterMs: WINDOW },
      refresh: { worker: owner },
      runRefreshWorker: false,
      clock,
      logger: { log: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    });
    running.push(runtime);
    await runtime.start();
    return runtime;
  };
  const stop = async (runtime: AgentRuntime) => {
    const stopped = runtime.stop();
    await clock.advance(30_000);
    await stopped;
  };
  /** Agents that cache one instance of their region. */
  const regionalInstances: CachingAgentProvider = {
    kind: 'InstanceCachingAgent',
    create: (account, region) => ({
      ...provider('InstanceCachingAgent', () => Promise.reject(new Error('unused'))).create(account, region),
      load: (ctx) =>
        Promise.resolve({
          readStartedAt: ctx.now(),
          resources: [{ ...instance('i-1'), key: `aws:instances:prod:${region}:i-1`, region }],
        }),
    }),
  };
  const agentIds = () => [...store.schedules.keys()].sort();
  const keys = () => [...store.records.keys()].sort();

  beforeEach(() => {
    clock = new VirtualClock();
    store = new InMemoryAgentStore(clock);
    running = [];
    logs.length = 0;
  });
  afterEach(async () => {
    const stopped = Promise.all(running.map((r) => r.stop()));
    await clock.advance(60_000);
    await stopped;
  });

  it('retires a removed region after a restart, with what it cached, once unseen for the window', async () => {
    await stop(await replica('old', BOTH));
    expect(keys()).toEqual(['aws:instances:prod:us-east-1:i-1', 'aws:instances:prod:us-west-2:i-1']);
    await replica('new', PROD);
    // Unseen since the old replica stopped, but the new one has not run for the window yet.
    await clock.advance(WINDOW - 60_000);
    expect(agentIds()).toContain('prod/us-west-2/InstanceCachingAgent');
    await clock.advance(WINDOW / 4 + 60_000);
    expect(agentIds()).toEqual(['prod/us-east-1/InstanceCachingAgent']);
    expect(keys()).toEqual(['aws:instances:prod:us-east-1:i-1']);
    expect(logs).toContain(
      'retired 1 agent(s) no running replica has in its configuration, with the 1 cache record(s) they owned: prod/us-west-2/InstanceCachingAgent',
    );
  });

  it('never retires what another live replica still has in its configuration (a rolling deploy)', async () => {
    const old = await replica('old', BOTH);
    await replica('new', PROD);
    await clock.advance(5 * WINDOW);
    expect(agentIds()).toEqual([
      'prod/us-east-1/InstanceCachingAgent',
      'prod/us-west-2/InstanceCachingAgent',
    ]);
    expect(logs.filter((m) => m.startsWith('retired'))).toEqual([]);
    await stop(old);
    await clock.advance(WINDOW + WINDOW / 4);
    expect(agentIds()).toEqual(['prod/us-east-1/InstanceCachingAgent']);
  });

  it('registers an agent again when it was retired while its replica could not affirm it', async () => {
    await replica('new', PROD);
    store.schedules.delete('prod/us-east-1/InstanceCachingAgent'); // as if swept by mistake
    await clock.advance(WINDOW / 4 + 10_000);
    expect(agentIds()).toEqual(['prod/us-east-1/InstanceCachingAgent']);
  });

  it('refuses a window it could not affirm in time from the interval sync', () => {
    expect(
      () =>
        new AgentRuntime({
          accounts: [PROD],
          polling: POLLING,
          providers: [],
          ports: store.ports(),
          scheduler: { owner: 'x', retireAfterMs: 60_000, intervalSyncMs: 30_000 },
          refresh: { worker: 'x' },
          clock,
        }),
    ).toThrow('retireAfterMs must be 0 or at least 4 x intervalSyncMs');
  });
});
