import {
  type AgentAccount,
  type AgentContext,
  type AgentLoadResult,
  AgentRuntime,
  type AgentRuntimeOptions,
  type CacheRecord,
  type CachingAgent,
  type CachingAgentProvider,
  type PollingPolicy,
  type RefreshBatch,
  type RefreshOutcome,
  type TargetedRefresher,
} from '@event-cache/agents';
import type { CacheStore } from '@event-cache/cache-store';
import { StoreRefreshNotifications } from '../../src/store-binding/refresh-notifications';
import { storePorts } from '../../src/store-binding/store-ports';

export const PROD: AgentAccount = {
  name: 'prod',
  accountId: '123456789012',
  environment: 'prod',
  regions: [{ name: 'us-east-1' }],
};

/** Polling with sub-second intervals (the runtime takes fractions of seconds; the config file does not). */
export function polling(over: Partial<PollingPolicy> = {}): PollingPolicy {
  return {
    defaultIntervalSeconds: 0.2,
    intervalSecondsByKind: {},
    reconcileIntervalSeconds: 600,
    environmentMultipliers: {},
    ...over,
  };
}

export interface RunRecord {
  agentId: string;
  replica: string;
  start: number;
  end: number;
}

export type FakeLoad = (agent: CachingAgent, ctx: AgentContext, run: number) => Promise<AgentLoadResult>;

/** A provider of fake agents of one kind whose `load` is given; every run is recorded. */
export function fakeProvider(
  kind: string,
  load: FakeLoad,
  options: { types?: string[]; runs?: RunRecord[]; replica?: string } = {},
): CachingAgentProvider {
  const runCounts = new Map<string, number>();
  return {
    kind,
    create(account, region) {
      const agent: CachingAgent = {
        id: `${account.name}/${region}/${kind}`,
        provider: 'aws',
        kind,
        account: account.name,
        region,
        authoritativeTypes: options.types ?? ['instances'],
        async load(ctx) {
          const run = (runCounts.get(agent.id) ?? 0) + 1;
          runCounts.set(agent.id, run);
          const start = performance.timeOrigin + performance.now();
          try {
            return await load(agent, ctx, run);
          } finally {
            options.runs?.push({
              agentId: agent.id,
              replica: options.replica ?? '',
              start,
              end: performance.timeOrigin + performance.now(),
            });
          }
        },
      };
      return agent;
    },
  };
}

export function instanceRecord(account: string, region: string, id: string, state = 'running'): CacheRecord {
  return {
    key: `aws:instances:${account}:${region}:${id}`,
    type: 'instances',
    account,
    region,
    attributes: { instanceId: id, state: { name: state } },
  };
}

/** Instances refresher over a map of what "AWS" has now; counts its calls (one per batch). */
export class FakeInstanceRefresher implements TargetedRefresher {
  readonly types = ['instances'];
  readonly batches: RefreshBatch[] = [];

  constructor(
    private readonly aws: Map<string, string>,
    private readonly options: { delayMs?: number; failIds?: Set<string>; hang?: boolean } = {},
  ) {}

  async refresh(batch: RefreshBatch, ctx: { signal: AbortSignal; now: () => Date }): Promise<RefreshOutcome> {
    this.batches.push(batch);
    const readStartedAt = ctx.now();
    if (this.options.hang) await new Promise(() => {});
    if (this.options.delayMs) await sleep(this.options.delayMs);
    const outcome: RefreshOutcome = {
      readStartedAt,
      found: [],
      missing: [],
      failed: [],
      agentId: `${batch.account}/${batch.region}/InstanceCachingAgent`,
    };
    for (const item of batch.items) {
      const state = this.aws.get(item.id);
      if (this.options.failIds?.has(item.id)) {
        outcome.failed.push({ requestId: item.requestId, error: `InvalidInstanceID.Malformed: ${item.id}` });
      } else if (state === undefined) outcome.missing.push(item.key);
      else outcome.found.push(instanceRecord(batch.account, batch.region, item.id, state));
    }
    return outcome;
  }
}

/** One replica: a runtime on the real store with short loops and a silent log. */
export function replica(
  store: CacheStore,
  name: string,
  options: Partial<Omit<AgentRuntimeOptions, 'ports'>> & Pick<AgentRuntimeOptions, 'providers'>,
): AgentRuntime {
  return new AgentRuntime({
    accounts: [PROD],
    polling: polling(),
    ...options,
    ports: { ...storePorts(store), notifications: new StoreRefreshNotifications(store) },
    scheduler: {
      owner: name,
      concurrency: 4,
      leaseTtlMs: 2_000,
      pollIntervalMs: 20,
      intervalSyncMs: 100,
      firstRunSpreadMs: 0,
      shutdownGraceMs: 2_000,
      ...options.scheduler,
    },
    refresh: {
      worker: name,
      pollIntervalMs: 50,
      claimTtlMs: 2_000,
      backoffMs: 100,
      shutdownGraceMs: 1_000,
      ...options.refresh,
    },
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a value (not undefined/false) or the time is up. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}
