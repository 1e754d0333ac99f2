import type { AgentAccount } from '../caching-agent';
import type { ClaimedRefresh } from '../ports';
import type { RefreshBatch, TargetedRefresher } from '../targeted-refresher';
import { InMemoryAgentStore } from '../testing/in-memory-agent-store';
import { VirtualClock } from '../testing/virtual-clock';
import { AgentRuntime } from './agent-runtime';
import { toRefreshItem } from './refresh-items';

const PROD: AgentAccount = {
  name: 'prod',
  accountId: '123456789012',
  environment: 'prod',
  regions: [{ name: 'us-east-1' }, { name: 'eu-west-1' }],
};
const POLLING = {
  defaultIntervalSeconds: 30,
  intervalSecondsByKind: {},
  reconcileIntervalSeconds: 600,
  environmentMultipliers: {},
};
const key = (region: string, id: string) => `aws:instances:prod:${region}:${id}`;

/** Instances refresher over a map of what "AWS" has; records every batch. */
function instancesRefresher(
  clock: VirtualClock,
  aws: Map<string, string>,
  calls: RefreshBatch[],
): TargetedRefresher {
  return {
    types: ['instances'],
    refresh(batch) {
      calls.push(batch);
      const readStartedAt = clock.now();
      const found = [];
      const missing = [];
      const failed = [];
      for (const item of batch.items) {
        if (item.id === 'i-bad')
          failed.push({ requestId: item.requestId, error: 'InvalidInstanceID.Malformed' });
        else if (aws.has(item.id)) {
          found.push({
            key: item.key,
            type: 'instances',
            account: batch.account,
            region: batch.region,
            attributes: { instanceId: item.id, state: aws.get(item.id) },
          });
        } else missing.push(item.key);
      }
      return Promise.resolve({
        readStartedAt,
        found,
        missing,
        failed,
        agentId: `${batch.account}/${batch.region}/InstanceCachingAgent`,
      });
    },
  };
}

/** A refresher of one type that records its batches and finds nothing. */
function recordingRefresher(type: string, batches: RefreshBatch[], now: () => Date): TargetedRefresher {
  return {
    types: [type],
    refresh(batch) {
      batches.push(batch);
      return Promise.resolve({ readStartedAt: now(), found: [], missing: [], failed: [], agentId: 'x' });
    },
  };
}

describe('RefreshWorker', () => {
  let clock: VirtualClock;
  let store: InMemoryAgentStore;
  let runtime: AgentRuntime;
  let calls: RefreshBatch[];
  let aws: Map<string, string>;

  let warnings: string[];
  const start = async (refreshers: TargetedRefresher[], refresh: Record<string, number> = {}) => {
    runtime = new AgentRuntime({
      logger: {
        log: () => undefined,
        warn: (message: string) => warnings.push(message),
        error: () => undefined,
      },
      accounts: [PROD],
      polling: POLLING,
      providers: [],
      refreshers,
      ports: store.ports(),
      scheduler: { owner: 'replica-a' },
      refresh: { worker: 'replica-a', batchSize: 100, backoffMs: 1_000, maxAttempts: 3, ...refresh },
      runScheduler: false,
      clock,
    });
    await runtime.start();
  };
  const enqueue = (region: string, ids: string[]) =>
    store.enqueue(
      ids.map((id) => ({
        type: 'instances',
        key: key(region, id),
        account: 'prod',
        region,
        target: { id, idKind: 'instanceId', partial: false },
      })),
    );
  const statuses = () =>
    Object.fromEntries(store.refreshes.map((r) => [r.key.split(':').slice(3).join(':'), r.status]));

  beforeEach(() => {
    clock = new VirtualClock();
    store = new InMemoryAgentStore(clock);
    calls = [];
    warnings = [];
    aws = new Map([
      ['i-1', 'running'],
      ['i-2', 'stopped'],
      ['i-3', 'running'],
    ]);
  });
  afterEach(async () => {
    const stopped = runtime?.stop();
    await clock.advance(60_000);
    await stopped;
  });

  it('refreshes batches per account/region, writes what AWS has, evicts what it lost, completes them', async () => {
    await start([instancesRefresher(clock, aws, calls)]);
    await store.cachePort.write(
      [{ key: key('us-east-1', 'i-9'), type: 'instances', attributes: { instanceId: 'i-9' } }],
      { fetchedAt: new Date(clock.now().getTime() - 1_000) },
    );
    enqueue('us-east-1', ['i-1', 'i-2', 'i-9']);
    enqueue('eu-west-1', ['i-3']);
    await clock.advance(10);

    expect(calls.map((c) => [c.region, c.items.map((i) => i.id)])).toEqual([
      ['us-east-1', ['i-1', 'i-2', 'i-9']],
      ['eu-west-1', ['i-3']],
    ]);
    expect([...store.records.keys()].sort()).toEqual([
      key('eu-west-1', 'i-3'),
      key('us-east-1', 'i-1'),
      key('us-east-1', 'i-2'),
    ]);
    expect(store.records.get(key('us-east-1', 'i-2'))?.agent).toBe('prod/us-east-1/InstanceCachingAgent');
    expect(Object.values(statuses())).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
  });

  it('wakes on a notification instead of waiting for the next poll', async () => {
    await start([instancesRefresher(clock, aws, calls)], { pollIntervalMs: 30_000 });
    await clock.advance(10);
    enqueue('us-east-1', ['i-1']);
    await clock.advance(10);
    expect(calls).toHaveLength(1);
  });

  it('retries failed items with backoff and gives up after the last attempt', async () => {
    await start([instancesRefresher(clock, aws, calls)]);
    enqueue('us-east-1', ['i-1', 'i-bad']);
    await clock.advance(10);
    expect(statuses()).toEqual({ 'us-east-1:i-1': 'succeeded', 'us-east-1:i-bad': 'pending' });
    const bad = store.refreshes.find((r) => r.key.endsWith('i-bad'))!;
    expect(bad.notBefore - clock.now().getTime()).toBeGreaterThan(900);

    await clock.advance(1_000 + 2_000 + 100); // backoff 1 s, then 2 s
    expect(bad).toMatchObject({ status: 'failed', attempts: 3, error: 'InvalidInstanceID.Malformed' });
    // The raw error is logged where it happens (requests only carry it for explainRefreshFailure).
    expect(warnings).toContain(
      'refreshing 1 of 2 instances of prod/us-east-1 failed: InvalidInstanceID.Malformed',
    );
    expect(calls.map((c) => c.items.map((i) => i.id))).toEqual([['i-1', 'i-bad'], ['i-bad'], ['i-bad']]);
  });

  it('puts a whole batch back for retry when the refresher throws', async () => {
    const failing: TargetedRefresher = {
      types: ['instances'],
      refresh: () =>
        Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })),
    };
    await start([failing]);
    enqueue('us-east-1', ['i-1', 'i-2']);
    await clock.advance(10);
    expect(store.refreshes.map((r) => [r.status, r.error])).toEqual([
      ['pending', 'ThrottlingException: Rate exceeded'],
      ['pending', 'ThrottlingException: Rate exceeded'],
    ]);
    expect(store.records.size).toBe(0);
  });

  it('stops every loop promptly, even loops busy claiming when it is asked to stop', async () => {
    const slowClaims = { ...store.refreshPort };
    slowClaims.claimBatch = async (options) => {
      await clock.sleep(50);
      return store.refreshPort.claimBatch(options);
    };
    runtime = new AgentRuntime({
      accounts: [PROD],
      polling: POLLING,
      providers: [],
      refreshers: [instancesRefresher(clock, aws, calls)],
      ports: { ...store.ports(), refreshes: slowClaims },
      scheduler: { owner: 'replica-a' },
      refresh: { worker: 'replica-a', concurrency: 3, pollIntervalMs: 600_000, shutdownGraceMs: 600_000 },
      runScheduler: false,
      clock,
    });
    await runtime.start();
    await clock.advance(10); // all three loops are inside claimBatch
    let stopped = false;
    void runtime.stop().then(() => (stopped = true));
    await clock.advance(100);
    expect(stopped).toBe(true);
  });

  describe('follow-ups', () => {
    const tgKey = 'aws:targetGroups:prod:us-east-1:web-tg:instance:vpc-1';
    /** An instances refresher that asks for its target group when the instance changed, and for itself in 5 s. */
    const withFollowUps = (): TargetedRefresher => {
      const inner = instancesRefresher(clock, aws, calls);
      return {
        types: ['instances'],
        async refresh(batch, ctx) {
          const outcome = await inner.refresh(batch, ctx);
          const followUps = outcome.found.flatMap((r) => [
            {
              type: 'targetGroups',
              key: tgKey,
              target: { id: 'web-tg', idKind: 'targetGroupName', partial: false, expect: [r.key] },
              ifChanged: r.key,
            },
            {
              type: 'instances',
              key: r.key,
              target: { id: String(r.attributes.instanceId), idKind: 'instanceId', partial: false, round: 2 },
              delayMs: 5_000,
            },
          ]);
          return { ...outcome, followUps };
        },
      };
    };

    const targetGroupBatches: RefreshBatch[] = [];
    const targetGroups = recordingRefresher('targetGroups', targetGroupBatches, () => clock.now());
    beforeEach(() => (targetGroupBatches.length = 0));

    it('enqueues a follow-up when its record changed, and a delayed one only once its delay is over', async () => {
      await start([withFollowUps(), targetGroups]);
      enqueue('us-east-1', ['i-1']);
      await clock.advance(10);

      // The instance was new: its target group is read, with the hint; the re-check waits 5 s.
      expect(targetGroupBatches).toEqual([
        {
          account: 'prod',
          region: 'us-east-1',
          type: 'targetGroups',
          items: [
            {
              requestId: expect.any(String),
              key: tgKey,
              id: 'web-tg',
              idKind: 'targetGroupName',
              partial: false,
              hints: { expect: [key('us-east-1', 'i-1')] },
            },
          ],
        },
      ]);
      const recheck = store.refreshes.filter((r) => r.key === key('us-east-1', 'i-1'));
      expect(recheck.map((r) => r.status)).toEqual(['succeeded', 'pending']);
      expect(recheck[1].notBefore - clock.now().getTime()).toBeGreaterThan(4_900);
      expect(calls).toHaveLength(1);

      // The re-check reads the same body: the target group is not asked for again.
      await clock.advance(5_000);
      expect(calls.map((c) => c.items.map((i) => [i.id, i.hints]))).toEqual([
        [['i-1', undefined]],
        [['i-1', { round: 2 }]],
      ]);
      expect(store.refreshes.filter((r) => r.key === tgKey).map((r) => r.status)).toEqual(['succeeded']);
      expect(targetGroupBatches).toHaveLength(1);
    });

    it('drops follow-ups it cannot enqueue and still completes the batch', async () => {
      const broken = {
        ...store.refreshPort,
        enqueue: () => Promise.reject(new Error('connection terminated unexpectedly')),
      };
      runtime = new AgentRuntime({
        accounts: [PROD],
        polling: POLLING,
        providers: [],
        refreshers: [withFollowUps()],
        ports: { ...store.ports(), refreshes: broken },
        scheduler: { owner: 'replica-a' },
        refresh: { worker: 'replica-a' },
        runScheduler: false,
        clock,
      });
      await runtime.start();
      enqueue('us-east-1', ['i-1']);
      await clock.advance(10);
      expect(statuses()).toEqual({ 'us-east-1:i-1': 'succeeded' });
      expect(store.records.has(key('us-east-1', 'i-1'))).toBe(true);
    });
  });

  it('routes each type to its refresher and fails requests no target can be read from, for good', async () => {
    const groups: RefreshBatch[] = [];
    const securityGroups = recordingRefresher('securityGroups', groups, () => clock.now());
    await start([instancesRefresher(clock, aws, calls), securityGroups]);
    store.enqueue([
      {
        type: 'securityGroups',
        key: 'securityGroups|prod|us-east-1|securityGroupId|sg-0abc',
        account: 'prod',
        region: 'us-east-1',
        target: {
          id: 'sg-0abc',
          idKind: 'securityGroupId',
          partial: true,
          pattern: 'aws:securityGroups:*:sg-0abc:us-east-1:prod:*',
        },
      },
      { type: 'instances', key: 'not-a-key', account: 'prod', region: 'us-east-1' },
    ]);
    await clock.advance(10);
    expect(groups[0].items).toEqual([
      {
        requestId: expect.any(String),
        key: 'aws:securityGroups:*:sg-0abc:us-east-1:prod:*',
        id: 'sg-0abc',
        idKind: 'securityGroupId',
        partial: true,
      },
    ]);
    expect(calls).toEqual([]);
    expect(store.refreshes.find((r) => r.key === 'not-a-key')).toMatchObject({
      status: 'failed',
      attempts: 1,
    });
  });
});

describe('toRefreshItem', () => {
  const request = (over: Partial<ClaimedRefresh>): ClaimedRefresh => ({
    id: '7',
    type: 'serverGroups',
    key: 'aws:serverGroups:app-main:prod:us-east-1:app-main-v001',
    account: 'prod',
    region: 'us-east-1',
    target: null,
    requestedAt: new Date(),
    ...over,
  });

  it('reads the id from the exact key when there is no target', () => {
    expect(toRefreshItem(request({}))).toEqual({
      requestId: '7',
      key: 'aws:serverGroups:app-main:prod:us-east-1:app-main-v001',
      id: 'app-main-v001',
      idKind: 'autoScalingGroupName',
      partial: false,
    });
  });

  it('refuses malformed targets and keys of another type', () => {
    expect(toRefreshItem(request({ target: { id: '', idKind: 'x' } }))).toEqual({
      invalid: 'target needs a non-empty id and idKind',
    });
    expect(toRefreshItem(request({ target: { id: 'a', idKind: 'b', partial: 'yes' } }))).toEqual({
      invalid: 'target.partial must be a boolean',
    });
    expect(toRefreshItem(request({ key: 'aws:instances:prod:us-east-1:i-1' }))).toEqual({
      invalid: 'no target and the key is not a serverGroups key',
    });
  });
});
