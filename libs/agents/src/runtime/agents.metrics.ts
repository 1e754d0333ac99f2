type Labels<L extends string> = Partial<Record<L, string | number>>;

/**
 * The metrics registry the runtime reports to: the platform's `MetricsService` fits (it adds the
 * `event_cache_` prefix to the names given here). `noopMetrics` when nothing is bound.
 */
export interface MetricsRegistry {
  counter<L extends string>(config: {
    name: string;
    help: string;
    labelNames?: readonly L[];
  }): { inc(labels: Labels<L>, value?: number): void };
  histogram<L extends string>(config: {
    name: string;
    help: string;
    labelNames?: readonly L[];
    buckets?: number[];
  }): { observe(labels: Labels<L>, value: number): void };
  gauge<L extends string>(config: {
    name: string;
    help: string;
    labelNames?: readonly L[];
  }): { set(labels: Labels<L>, value: number): void };
}

export const noopMetrics: MetricsRegistry = {
  counter: () => ({ inc: () => {} }),
  histogram: () => ({ observe: () => {} }),
  gauge: () => ({ set: () => {} }),
};

export type RunOutcome = 'success' | 'failure' | 'throttled' | 'aborted';

const SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** `event_cache_agent_*`: what the scheduler did. */
export class SchedulerMetrics {
  private readonly runs;
  private readonly duration;
  private readonly startLag;
  private readonly written;
  private readonly evicted;
  private readonly leasesLost;
  private readonly factor;
  private readonly intervalChanges;
  private readonly retired;
  private readonly retiredResources;

  constructor(registry: MetricsRegistry) {
    this.runs = registry.counter({
      name: 'agent_runs_total',
      help: 'Caching agent runs by kind and outcome (success, failure, throttled, aborted)',
      labelNames: ['kind', 'outcome'],
    });
    this.duration = registry.histogram({
      name: 'agent_run_duration_seconds',
      help: 'Duration of caching agent runs',
      labelNames: ['kind', 'outcome'],
      buckets: SECONDS,
    });
    this.startLag = registry.histogram({
      name: 'agent_start_lag_seconds',
      help: 'Time between an agent becoming due and its run starting',
      labelNames: [],
      buckets: SECONDS,
    });
    this.written = registry.counter({
      name: 'agent_resources_written_total',
      help: 'Cache records added or changed by caching agent runs',
      labelNames: ['kind'],
    });
    this.evicted = registry.counter({
      name: 'agent_resources_evicted_total',
      help: 'Cache records evicted by complete caching agent runs',
      labelNames: ['kind'],
    });
    this.leasesLost = registry.counter({
      name: 'agent_leases_lost_total',
      help: 'Runs whose lease was lost (their result was not written)',
      labelNames: [],
    });
    this.factor = registry.gauge({
      name: 'agent_throttle_factor',
      help: 'Throttling back-off factor of an account/region (1 = none)',
      labelNames: ['account', 'region'],
    });
    this.intervalChanges = registry.counter({
      name: 'agent_interval_changes_total',
      help: 'Interval changes recorded by this replica',
      labelNames: [],
    });
    this.retired = registry.counter({
      name: 'agents_retired_total',
      help: 'Agents retired by this replica: no running replica had them in its configuration',
      labelNames: [],
    });
    this.retiredResources = registry.counter({
      name: 'agent_retired_resources_total',
      help: 'Cache records deleted with retired agents',
      labelNames: [],
    });
  }

  run(kind: string, outcome: RunOutcome, seconds: number, written: number, evicted: number): void {
    this.runs.inc({ kind, outcome });
    this.duration.observe({ kind, outcome }, seconds);
    if (written) this.written.inc({ kind }, written);
    if (evicted) this.evicted.inc({ kind }, evicted);
  }

  started(lagSeconds: number): void {
    this.startLag.observe({}, Math.max(0, lagSeconds));
  }

  leaseLost(): void {
    this.leasesLost.inc({});
  }

  throttleFactor(account: string, region: string, factor: number): void {
    this.factor.set({ account, region }, factor);
  }

  intervalsChanged(count: number): void {
    if (count) this.intervalChanges.inc({}, count);
  }

  agentsRetired(agents: number, resources: number): void {
    if (agents) this.retired.inc({}, agents);
    if (resources) this.retiredResources.inc({}, resources);
  }
}

/** `event_cache_refresh_*`: what the refresh worker did. */
export class RefreshMetrics {
  private readonly batches;
  private readonly size;
  private readonly duration;
  private readonly requests;
  private readonly followUpRequests;

  constructor(registry: MetricsRegistry) {
    this.batches = registry.counter({
      name: 'refresh_batches_total',
      help: 'Refresh batches by key type and outcome (ok, error)',
      labelNames: ['type', 'outcome'],
    });
    this.size = registry.histogram({
      name: 'refresh_batch_size',
      help: 'Refresh requests per claimed batch',
      labelNames: ['type'],
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1_000],
    });
    this.duration = registry.histogram({
      name: 'refresh_batch_duration_seconds',
      help: 'Time to refresh, write and complete one batch',
      labelNames: ['type'],
      buckets: SECONDS,
    });
    this.requests = registry.counter({
      name: 'refresh_requests_total',
      help: 'Refresh requests by key type and outcome (succeeded, retried, failed)',
      labelNames: ['type', 'outcome'],
    });
    this.followUpRequests = registry.counter({
      name: 'refresh_follow_ups_total',
      help: "Follow-up refreshes enqueued by refreshers' outcomes, by key type of the follow-up",
      labelNames: ['type'],
    });
  }

  batch(type: string, outcome: 'ok' | 'error', size: number, seconds: number): void {
    this.batches.inc({ type, outcome });
    this.size.observe({ type }, size);
    this.duration.observe({ type }, seconds);
  }

  requestsDone(type: string, outcome: 'succeeded' | 'retried' | 'failed', count: number): void {
    if (count) this.requests.inc({ type, outcome }, count);
  }

  followUps(type: string, count: number): void {
    if (count) this.followUpRequests.inc({ type }, count);
  }
}
