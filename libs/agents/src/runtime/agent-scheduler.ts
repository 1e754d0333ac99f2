import type {
  AgentLeasesPort,
  AgentSchedulesPort,
  CacheWriterPort,
  LeaseGrant,
  LeaseRelease,
} from '../ports';
import { AbortedError } from './abort';
import type { AgentCatalog, AgentEntry } from './agent-catalog';
import { AgentRetirement } from './agent-retirement';
import { AgentRunner, type RunReport } from './agent-runner';
import type { SchedulerMetrics } from './agents.metrics';
import { type Clock, retryDelay, Wakeup } from './clock';
import type { IntervalPolicy } from './interval.policy';
import { type HeldLease, LeaseKeeper } from './lease-keeper';
import { Permits } from './permits';
import { nextRunAt, stableHash } from './run-phases';
import type { AgentLogger, SchedulerOptions } from './runtime-options';
import type { ScheduleTuner } from './schedule-tuner';

export interface SchedulerDeps {
  catalog: AgentCatalog;
  leases: AgentLeasesPort;
  schedules: AgentSchedulesPort;
  cache: CacheWriterPort;
  tuner: ScheduleTuner;
  policy: IntervalPolicy;
  clock: Clock;
  metrics: SchedulerMetrics;
  logger: AgentLogger;
  options: SchedulerOptions;
}

/**
 * One replica's scheduler (docs/architecture.md#schedule, #agent-leases): acquires due agents in one statement up to its
 * concurrency, runs each under its lease (extended while it runs), and releases it with the next
 * run and the run's stats. Replicas share nothing but the database: the lease decides who runs.
 */
export class AgentScheduler {
  private readonly keeper: LeaseKeeper;
  private readonly runner: AgentRunner;
  private readonly wakeup: Wakeup;
  private readonly running = new Map<string, Promise<void>>();
  /** Stops acquiring and syncing. */
  private readonly stopping = new AbortController();
  /** Stops extending leases (after the last run is done). */
  private readonly closing = new AbortController();
  private retirement: AgentRetirement | null = null;
  private loops: Promise<void>[] = [];
  private keeping: Promise<void> = Promise.resolve();
  private stopped: Promise<void> | null = null;
  /** Releases the store did not take (it was unavailable): sent again before the next acquisition. */
  private unreleased: LeaseRelease[] = [];

  constructor(private readonly deps: SchedulerDeps) {
    const { leases, clock, logger, options } = deps;
    if (options.retireAfterMs > 0 && options.intervalSyncMs * 4 > options.retireAfterMs) {
      // Agents are re-affirmed from the sync loop: slower than a quarter of the window, other
      // replicas could retire this one's agents.
      throw new RangeError('retireAfterMs must be 0 or at least 4 x intervalSyncMs');
    }
    this.keeper = new LeaseKeeper({ leases, clock, logger, owner: options.owner, ttlMs: options.leaseTtlMs });
    this.runner = new AgentRunner({
      cache: deps.cache,
      keeper: this.keeper,
      clock,
      pageWrites: new Permits(options.pageWriteConcurrency),
    });
    this.wakeup = new Wakeup(clock, this.stopping.signal);
  }

  /** Registers this replica's agents, computes their intervals and starts the loops. */
  async start(): Promise<void> {
    await this.deps.schedules.register(this.registrations());
    this.retirement = new AgentRetirement({
      schedules: this.deps.schedules,
      clock: this.deps.clock,
      metrics: this.deps.metrics,
      logger: this.deps.logger,
      retireAfterMs: this.deps.options.retireAfterMs,
      registrations: () => this.registrations(),
    });
    try {
      await this.deps.tuner.sync();
    } catch (error) {
      this.deps.logger.warn(`interval sync failed: ${String(error)}`);
    }
    this.loops = [this.acquireLoop(), this.syncLoop()];
    this.keeping = this.keeper.run(this.closing.signal);
    this.deps.logger.log(
      `scheduler ${this.deps.options.owner} started: ${this.deps.catalog.entries.length} agents, concurrency ${this.deps.options.concurrency}`,
    );
  }

  /**
   * Graceful shutdown: stop acquiring, let in-flight runs finish within the grace period, abort
   * the rest (they keep the pages they wrote, evict nothing and are released as due now, so
   * another replica takes them), then drop any lease still held.
   */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  /** Agents running now on this replica. */
  inFlight(): string[] {
    return [...this.running.keys()];
  }

  private async shutdown(): Promise<void> {
    this.stopping.abort();
    this.wakeup.wake();
    await Promise.allSettled(this.loops); // no new runs from here on
    const drained = Promise.allSettled([...this.running.values()]);
    const grace = new AbortController();
    await Promise.race([drained, this.deps.clock.sleep(this.deps.options.shutdownGraceMs, grace.signal)]);
    grace.abort();
    for (const lease of this.keeper.all()) lease.controller.abort(new AbortedError('shutdown'));
    await Promise.allSettled([...this.running.values()]);
    this.closing.abort();
    await this.keeping;
    try {
      await this.deps.leases.releaseAll(this.deps.options.owner);
    } catch (error) {
      this.deps.logger.warn(`releasing leases at shutdown failed (they expire): ${String(error)}`);
    }
    this.deps.logger.log(`scheduler ${this.deps.options.owner} stopped`);
  }

  /** This replica's agents as registered (a new one's first run spread by a stable hash). */
  private registrations(): Parameters<AgentSchedulesPort['register']>[0] {
    const now = this.deps.clock.now().getTime();
    const { policy, options } = this.deps;
    return this.deps.catalog.entries.map(({ agent }) => {
      const base = policy.base(agent.kind, agent.defaultIntervalMs).ms;
      const spread = Math.min(base, options.firstRunSpreadMs);
      return {
        agentId: agent.id,
        provider: agent.provider,
        kind: agent.kind,
        account: agent.account,
        region: agent.region,
        baseIntervalMs: base,
        firstRunAt: new Date(now + (spread > 0 ? stableHash(agent.id) % spread : 0)),
      };
    });
  }

  private async acquireLoop(): Promise<void> {
    const agentIds = this.deps.catalog.agentIds();
    if (agentIds.length === 0) return;
    const { owner, concurrency, leaseTtlMs, pollIntervalMs } = this.deps.options;
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      const free = concurrency - this.running.size;
      if (free > 0) {
        try {
          await this.releaseLeftovers();
          const grants = await this.deps.leases.acquireDue({
            owner,
            ttlMs: leaseTtlMs,
            limit: free,
            agentIds,
          });
          failures = 0;
          for (const grant of grants) this.launch(grant);
        } catch (error) {
          failures += 1;
          this.deps.logger.warn(`acquiring due agents failed (attempt ${failures}): ${String(error)}`);
        }
      }
      if (this.stopping.signal.aborted) break;
      await this.wakeup.wait(failures ? retryDelay(failures, pollIntervalMs) : pollIntervalMs);
    }
  }

  /**
   * Releases that failed (the database was unavailable) are sent again, so the agents they
   * record run on schedule once it is back instead of waiting for their leases to expire.
   */
  private async releaseLeftovers(): Promise<void> {
    if (this.unreleased.length === 0) return;
    const releases = this.unreleased;
    this.unreleased = [];
    try {
      await this.deps.leases.release(this.deps.options.owner, releases);
    } catch (error) {
      this.unreleased.push(...releases);
      throw error;
    }
  }

  private async syncLoop(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      await this.deps.clock.sleep(this.deps.options.intervalSyncMs, this.stopping.signal);
      if (this.stopping.signal.aborted) break;
      try {
        await this.deps.tuner.sync();
      } catch (error) {
        this.deps.logger.warn(`interval sync failed: ${String(error)}`);
      }
      try {
        await this.retirement?.tick();
      } catch (error) {
        this.deps.logger.warn(`affirming or retiring agents failed: ${String(error)}`);
      }
    }
  }

  private launch(grant: LeaseGrant): void {
    const entry = this.deps.catalog.get(grant.agentId);
    if (!entry) return; // not ours (acquireDue is restricted to our ids); its lease lapses
    const lease = this.keeper.hold(grant);
    if (this.stopping.signal.aborted) lease.controller.abort(new AbortedError('shutdown'));
    const { signal } = lease.controller;
    const done = new AbortController();
    void this.deps.clock
      .sleep(this.deps.options.runTimeoutMs, AbortSignal.any([signal, done.signal]))
      .then(() => {
        if (!signal.aborted && !done.signal.aborted) lease.controller.abort(new AbortedError('timeout'));
      });
    const run = this.execute(entry, lease).finally(() => {
      done.abort();
      this.keeper.drop(grant.agentId);
      this.running.delete(grant.agentId);
      this.wakeup.wake();
    });
    this.running.set(grant.agentId, run);
  }

  private async execute(entry: AgentEntry, lease: HeldLease): Promise<void> {
    const { clock, metrics, logger } = this.deps;
    const startedAt = clock.now();
    if (lease.grant.dueAt) metrics.started((startedAt.getTime() - lease.grant.dueAt.getTime()) / 1_000);
    let report: RunReport;
    try {
      report = await this.runner.run(entry, lease);
    } catch (error) {
      report = { outcome: 'failure', additions: 0, evictions: 0, error: String(error) };
    }
    const finishedAt = clock.now();
    const durationMs = finishedAt.getTime() - startedAt.getTime();
    metrics.run(entry.agent.kind, report.outcome, durationMs / 1_000, report.additions, report.evictions);
    if (report.outcome === 'failure' || report.outcome === 'throttled') {
      logger.warn(`${entry.agent.id}: ${report.outcome}: ${report.error}`);
    }
    if (report.abortedBy === 'lease_lost') {
      metrics.leaseLost();
      logger.warn(`${entry.agent.id}: lease lost during the run; its pages written stay, nothing evicted`);
      return; // another replica holds it now: not ours to release
    }
    try {
      await this.deps.tuner.recordOutcome(entry, report.outcome);
    } catch (error) {
      logger.warn(`${entry.agent.id}: recording the interval failed: ${String(error)}`);
    }
    const release = {
      agentId: entry.agent.id,
      token: lease.grant.token,
      nextRunAt: report.abortedBy === 'shutdown' ? finishedAt : this.nextRun(entry, startedAt, finishedAt),
      run: {
        startedAt,
        durationMs,
        additions: report.additions,
        evictions: report.evictions,
        error: report.error,
      },
    };
    try {
      const { lost } = await this.deps.leases.release(this.deps.options.owner, [release]);
      if (lost.length) {
        metrics.leaseLost();
        logger.warn(`${entry.agent.id}: lease lost before release`);
      }
    } catch (error) {
      this.unreleased.push(release);
      logger.warn(
        `${entry.agent.id}: release failed (sent again with the next acquisition): ${String(error)}`,
      );
    }
  }

  /**
   * About one interval in force after the start, on the agent's slot (its phase of the interval),
   * so agents spread over the interval whatever made them run together; a run longer than the
   * interval gets a short pause first.
   */
  private nextRun(entry: AgentEntry, startedAt: Date, finishedAt: Date): Date {
    const { tuner } = this.deps;
    return new Date(
      nextRunAt(
        { startedAt: startedAt.getTime(), finishedAt: finishedAt.getTime() },
        tuner.intervalFor(entry),
        tuner.phaseOf(entry),
      ),
    );
  }
}
