import type { CacheWriterPort, ClaimedRefresh, RefreshNotificationsPort, RefreshQueuePort } from '../ports';
import type { FollowUpRefresh, RefreshItem, RefreshOutcome } from '../targeted-refresher';
import { untilAborted } from './abort';
import type { AgentCatalog } from './agent-catalog';
import type { RefreshMetrics } from './agents.metrics';
import { type Clock, retryDelay, Wakeup } from './clock';
import { toRefreshItem } from './refresh-items';
import type { AgentLogger, RefreshWorkerOptions } from './runtime-options';
import { describeError } from './throttling';

export interface RefreshWorkerDeps {
  catalog: AgentCatalog;
  queue: RefreshQueuePort;
  cache: CacheWriterPort;
  notifications?: RefreshNotificationsPort;
  clock: Clock;
  metrics: RefreshMetrics;
  logger: AgentLogger;
  options: RefreshWorkerOptions;
}

/**
 * Serves refresh requests (docs/architecture.md#refresh): claims them in batches of one account/region/type, hands
 * each batch to the refresher of its type (one batched AWS read for many ids), writes what AWS
 * returned (a row is never replaced by an older read), evicts what AWS no longer has, enqueues the
 * follow-ups the refresher asked for, completes the requests as of the read's start and retries
 * failed ones with backoff. A worker that dies
 * mid-batch loses nothing: its claims lapse and the requests are claimed again.
 */
export class RefreshWorker {
  private readonly wakeup: Wakeup;
  private readonly stopping = new AbortController();
  private readonly inFlight = new Set<AbortController>();
  private loops: Promise<void>[] = [];
  private unsubscribe: (() => Promise<void>) | null = null;
  private stopped: Promise<void> | null = null;

  constructor(private readonly deps: RefreshWorkerDeps) {
    this.wakeup = new Wakeup(deps.clock, this.stopping.signal);
  }

  async start(): Promise<void> {
    const types = this.deps.catalog.refreshTypes();
    if (types.length === 0) {
      this.deps.logger.log('no targeted refreshers registered: the refresh worker is idle');
      return;
    }
    if (this.deps.notifications) {
      try {
        this.unsubscribe = await this.deps.notifications.subscribe(() => this.wakeup.wake());
      } catch (error) {
        this.deps.logger.warn(`refresh notifications unavailable, polling only: ${String(error)}`);
      }
    }
    const { concurrency, worker } = this.deps.options;
    this.loops = Array.from({ length: concurrency }, () => this.loop(types));
    this.deps.logger.log(
      `refresh worker ${worker} started: types ${types.join(', ')}, ${concurrency} loop(s)`,
    );
  }

  /** Stops claiming; batches in flight get the grace period, then are aborted (their claims lapse). */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    this.stopping.abort();
    this.wakeup.wake();
    const grace = new AbortController();
    await Promise.race([
      Promise.allSettled(this.loops),
      this.deps.clock.sleep(this.deps.options.shutdownGraceMs, grace.signal),
    ]);
    grace.abort();
    for (const batch of this.inFlight) batch.abort();
    await Promise.allSettled(this.loops);
    await this.unsubscribe?.().catch(() => undefined);
  }

  private async loop(types: string[]): Promise<void> {
    const { worker, batchSize, claimTtlMs, pollIntervalMs } = this.deps.options;
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      let claimed: ClaimedRefresh[] = [];
      try {
        claimed = await this.deps.queue.claimBatch({ worker, limit: batchSize, claimTtlMs, types });
        failures = 0;
      } catch (error) {
        failures += 1;
        this.deps.logger.warn(`claiming refresh requests failed (attempt ${failures}): ${String(error)}`);
      }
      if (claimed.length) {
        for (const group of groupByScope(claimed)) await this.refresh(group);
        continue; // more may be waiting
      }
      await this.wakeup.wait(failures ? retryDelay(failures, pollIntervalMs) : pollIntervalMs);
    }
  }

  /** One batch of one account/region/type. */
  async refresh(requests: ClaimedRefresh[]): Promise<void> {
    const { account, region, type } = requests[0];
    const { clock, metrics, options } = this.deps;
    const started = clock.now().getTime();
    const items: RefreshItem[] = [];
    const invalid: { id: string; error: string }[] = [];
    for (const request of requests) {
      const item = toRefreshItem(request);
      if ('invalid' in item) invalid.push({ id: request.id, error: item.invalid });
      else items.push(item);
    }
    // A request that can never be served fails for good at once.
    await this.fail(type, invalid, 1);
    const refresher = this.deps.catalog.refresherFor(type);
    if (items.length === 0 || !refresher) {
      await this.fail(
        type,
        items.map((i) => ({ id: i.requestId, error: `no refresher serves ${type}` })),
        1,
      );
      return;
    }
    const controller = new AbortController();
    this.inFlight.add(controller);
    try {
      const outcome = await untilAborted(
        () =>
          refresher.refresh(
            { account, region, type, items },
            { signal: controller.signal, now: () => clock.now() },
          ),
        controller.signal,
      );
      checkOutcome(outcome);
      if (outcome.failed.length > 0) {
        // The full error stays here, in the log: refresh requests only explain it (explainRefreshFailure).
        this.deps.logger.warn(
          `refreshing ${outcome.failed.length} of ${items.length} ${type} of ${account}/${region} failed: ${outcome.failed[0].error}`,
        );
      }
      await this.apply({ account, region, type }, items, outcome);
      metrics.batch(type, 'ok', items.length, (clock.now().getTime() - started) / 1_000);
    } catch (error) {
      if (controller.signal.aborted) return; // shutting down: the claims lapse and are claimed again
      const message = describeError(error);
      this.deps.logger.warn(`refreshing ${items.length} ${type} of ${account}/${region} failed: ${message}`);
      await this.fail(
        type,
        items.map((i) => ({ id: i.requestId, error: message })),
        options.maxAttempts,
      );
      metrics.batch(type, 'error', items.length, (clock.now().getTime() - started) / 1_000);
    } finally {
      this.inFlight.delete(controller);
    }
  }

  private async apply(
    scope: { account: string; region: string; type: string },
    items: RefreshItem[],
    outcome: RefreshOutcome,
  ): Promise<void> {
    const { cache, queue, options } = this.deps;
    const { type } = scope;
    const ids = new Set(items.map((i) => i.requestId));
    const failed = outcome.failed.filter((f) => ids.has(f.requestId));
    const failedIds = new Set(failed.map((f) => f.requestId));
    // Written before the requests complete: a crash in between only means a second read.
    let written: readonly string[] = [];
    if (outcome.found.length) {
      ({ written } = await cache.write(outcome.found, {
        fetchedAt: outcome.readStartedAt,
        agent: outcome.agentId,
        touchUnchanged: true,
      }));
    }
    if (outcome.missing.length) await cache.evict(outcome.missing, outcome.readStartedAt);
    await this.followUp(scope, outcome.followUps ?? [], new Set(written));
    const processed = items.filter((i) => !failedIds.has(i.requestId)).map((i) => i.requestId);
    // Requests asked for after this read started stay claimed and are read again once it lapses.
    const completed = await queue.complete(options.worker, processed, outcome.readStartedAt);
    this.deps.metrics.requestsDone(type, 'succeeded', completed.length);
    await this.fail(
      type,
      failed.map((f) => ({ id: f.requestId, error: f.error })),
      options.maxAttempts,
    );
  }

  /**
   * Enqueues the outcome's follow-ups whose condition holds (`ifChanged`: that record was just
   * written with a change). They are hints: a failure is logged, and the batch still completes.
   */
  private async followUp(
    scope: { account: string; region: string; type: string },
    followUps: readonly FollowUpRefresh[],
    written: ReadonlySet<string>,
  ): Promise<void> {
    const due = followUps.filter((f) => f.ifChanged === undefined || written.has(f.ifChanged));
    if (due.length === 0) return;
    const requestedAt = this.deps.clock.now();
    try {
      await this.deps.queue.enqueue(
        due.map((f) => ({
          type: f.type,
          key: f.key,
          account: scope.account,
          region: scope.region,
          origin: 'event' as const,
          requestedAt,
          target: f.target,
          ...(f.delayMs !== undefined && { delayMs: f.delayMs }),
        })),
      );
      for (const [type, count] of countBy(due, (f) => f.type)) this.deps.metrics.followUps(type, count);
    } catch (error) {
      this.deps.logger.warn(
        `enqueueing ${due.length} follow-up refresh(es) of ${scope.type} failed (dropped): ${String(error)}`,
      );
    }
  }

  private async fail(
    type: string,
    failures: { id: string; error: string }[],
    maxAttempts: number,
  ): Promise<void> {
    if (failures.length === 0) return;
    try {
      const statuses = await this.deps.queue.fail(this.deps.options.worker, failures, {
        maxAttempts,
        backoffMs: this.deps.options.backoffMs,
      });
      const given = statuses.filter((s) => s.status === 'failed').length;
      this.deps.metrics.requestsDone(type, 'failed', given);
      this.deps.metrics.requestsDone(type, 'retried', statuses.length - given);
    } catch (error) {
      this.deps.logger.warn(
        `recording ${failures.length} failed refresh(es) failed (claims lapse): ${String(error)}`,
      );
    }
  }
}

function countBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(keyOf(item), (counts.get(keyOf(item)) ?? 0) + 1);
  return counts;
}

function groupByScope(requests: ClaimedRefresh[]): ClaimedRefresh[][] {
  const groups = new Map<string, ClaimedRefresh[]>();
  for (const r of requests) {
    const scope = `${r.account}\u0000${r.region}\u0000${r.type}`;
    const group = groups.get(scope);
    if (group) group.push(r);
    else groups.set(scope, [r]);
  }
  return [...groups.values()];
}

function checkOutcome(outcome: RefreshOutcome | undefined): void {
  if (
    !outcome ||
    !Array.isArray(outcome.found) ||
    !Array.isArray(outcome.missing) ||
    !Array.isArray(outcome.failed) ||
    !(outcome.readStartedAt instanceof Date) ||
    Number.isNaN(outcome.readStartedAt.getTime())
  ) {
    throw new Error('the refresher returned an invalid outcome');
  }
}
