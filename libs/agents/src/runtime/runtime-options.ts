/** The `polling` section of the configuration (docs/architecture.md#schedule, #accounts-configuration). */
export interface PollingPolicy {
  /** Base interval when neither the configuration nor the agent names one for its kind. */
  defaultIntervalSeconds: number;
  /** Base interval per agent kind, e.g. `{ SecurityGroupCachingAgent: 60 }`. */
  intervalSecondsByKind: Record<string, number>;
  /** Interval while the account/region's event pipeline is healthy. */
  reconcileIntervalSeconds: number;
  /** Factor per account environment, e.g. `{ nonprod: 4 }` (missing = 1). */
  environmentMultipliers: Record<string, number>;
}

export interface SchedulerOptions {
  /** This replica's lease owner id (unique per process). */
  owner: string;
  /** Agents this replica runs at the same time. */
  concurrency: number;
  /**
   * Pages the running agents write at the same time (the others wait with theirs read): bounds
   * the memory of a replica's writes however many agents run.
   */
  pageWriteConcurrency: number;
  leaseTtlMs: number;
  /** Longest wait between two acquisitions when nothing was due. */
  pollIntervalMs: number;
  /** How often intervals are recomputed from overrides and pipeline health. */
  intervalSyncMs: number;
  /** On shutdown, how long in-flight runs may finish before they are aborted. */
  shutdownGraceMs: number;
  /** Cap of the throttling back-off factor of an account/region. */
  maxThrottleFactor: number;
  /** New agents' first runs are spread over this long (or their interval, if shorter). */
  firstRunSpreadMs: number;
  /** A run still going after this long is aborted and counts as failed (its pages stay, nothing is evicted). */
  runTimeoutMs: number;
  /**
   * Agents no replica registered for this long are retired with what they cached (their account,
   * region or kind left every running replica's configuration). This replica re-affirms its own
   * every quarter of it, and retires others only once it has run this long itself. 0 = never.
   */
  retireAfterMs: number;
}

export interface RefreshWorkerOptions {
  /** This replica's worker id (unique per process). */
  worker: string;
  /** Most requests claimed (and handed to a refresher) at once. */
  batchSize: number;
  /** Batches processed at the same time. */
  concurrency: number;
  /** A claim lapses after this long: a crashed worker's requests are claimed again. */
  claimTtlMs: number;
  /** Attempts before a request fails for good. */
  maxAttempts: number;
  /** First retry delay; doubles with every attempt. */
  backoffMs: number;
  /** Longest idle wait between claims (notifications wake workers earlier). */
  pollIntervalMs: number;
  /** On shutdown, how long in-flight batches may finish before they are aborted. */
  shutdownGraceMs: number;
}

export const DEFAULT_SCHEDULER_OPTIONS: Omit<SchedulerOptions, 'owner'> = {
  concurrency: 8,
  pageWriteConcurrency: 2,
  leaseTtlMs: 60_000,
  pollIntervalMs: 1_000,
  intervalSyncMs: 5_000,
  shutdownGraceMs: 20_000,
  maxThrottleFactor: 16,
  firstRunSpreadMs: 30_000,
  runTimeoutMs: 900_000,
  retireAfterMs: 900_000,
};

export const DEFAULT_REFRESH_WORKER_OPTIONS: Omit<RefreshWorkerOptions, 'worker'> = {
  batchSize: 1_000,
  concurrency: 2,
  claimTtlMs: 60_000,
  maxAttempts: 5,
  backoffMs: 1_000,
  pollIntervalMs: 1_000,
  shutdownGraceMs: 10_000,
};

/** Logging as the runtime needs it (Nest's `Logger` fits; tests pass a silent one). */
export interface AgentLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string, stack?: string): void;
  debug?(message: string): void;
}

export const silentLogger: AgentLogger = { log: () => {}, warn: () => {}, error: () => {} };
