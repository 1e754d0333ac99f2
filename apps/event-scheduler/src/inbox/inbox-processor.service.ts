import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { CacheStore, type PendingInboxEvent, type StoreRepositories } from '@event-cache/cache-store';
import { type DecisionContext, type IntervalAdjustment, agentKindsForTypes } from '@event-cache/events';
import { APP_CONFIG, type AppConfig, bounded, MetricsService } from '@event-cache/platform';
import { ClouddriverPropagator } from '../clouddriver/clouddriver-propagator.service';
import { DECISION_CONTEXT } from './decision-context.provider';
import { type InboxPlan, type PlannedRefresh, planInboxBatch } from './inbox.planner';
import { Wakeup } from './wakeup.signal';

interface Committed {
  /** Events whose outcome this transaction recorded. */
  events: Set<string>;
  refreshes: (PlannedRefresh & { coalesced: boolean })[];
}

const workerId = () => `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

/** The channel the inbox insert trigger notifies (libs/cache-store). */
const INBOX_CHANNEL = 'event_cache_inbox';
/** Longest pause between two attempts while the database fails: it resumes within this of coming back. */
const MAX_BACKOFF_MS = 5_000;
/** Commit attempts of one claimed batch before it is left to its claim's expiry. */
const MAX_ATTEMPTS = 3;

/**
 * Processes the event inbox (docs/architecture.md#decide): claims pending events (any channel, any replica, SKIP
 * LOCKED), decides, and writes the outcome of every event together with what it caused (refresh
 * requests, interval overrides, heartbeats) in one transaction. Outcomes are written first and only
 * the events whose outcome this transaction recorded act, so an event processed twice (an expired
 * claim) cannot act twice. Woken by LISTEN/NOTIFY on new inbox rows, with a polling fallback.
 */
@Injectable()
export class InboxProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(InboxProcessor.name);
  /** The claimer's id; a new one once a batch is let go, so that it is not claimed again at once. */
  private worker = workerId();
  private readonly wakeup = new Wakeup();
  private readonly options: AppConfig['inbox'];
  private loop: Promise<void> | undefined;
  private stopping = false;
  private unlisten: (() => Promise<void>) | undefined;
  /** A claimed batch whose transaction failed: retried before anything new is claimed. */
  private unfinished: PendingInboxEvent[] | undefined;
  private unfinishedAttempts = 0;
  private readonly processed;
  private readonly refreshes;
  private readonly latency;
  private readonly failures;

  constructor(
    private readonly store: CacheStore,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(DECISION_CONTEXT) private readonly context: DecisionContext,
    private readonly propagator: ClouddriverPropagator,
    metrics: MetricsService,
  ) {
    this.options = config.inbox;
    this.processed = metrics.counter({
      name: 'events_processed_total',
      help: 'Inbox events decided, by outcome (refreshed, adjusted, heartbeat, ignored, rejected) and reason',
      labelNames: ['outcome', 'reason'],
    });
    this.refreshes = metrics.counter({
      name: 'refresh_requests_total',
      help: 'Refresh requests enqueued, by origin, key type and whether they folded into a pending one',
      labelNames: ['origin', 'type', 'coalesced'],
    });
    this.latency = metrics.histogram({
      name: 'event_decision_latency_seconds',
      help: 'From an event entering the inbox to its decision being committed',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
    this.failures = metrics.counter({
      name: 'inbox_processing_failures_total',
      help: 'Inbox batches that failed to commit (retried)',
    });
    // Read at scrape time; a database that does not answer within the readiness timeout leaves
    // the last value (and the scrape answers in time).
    const scrapeMs = config.health.readinessTimeoutMs;
    const pending = bounded(
      () => store.inbox.countPending().catch(() => undefined),
      scrapeMs,
      () => undefined,
    );
    const byStatus = bounded(
      () => store.refreshes.countByStatus().catch(() => undefined),
      scrapeMs,
      () => undefined,
    );
    metrics.gauge({
      name: 'event_inbox_pending',
      help: 'Inbox events waiting for a decision (read at scrape time)',
      async collect() {
        const n = await pending();
        if (n !== undefined) this.set(n);
      },
    });
    metrics.gauge({
      name: 'refresh_requests',
      help: 'Refresh requests by status (read at scrape time)',
      labelNames: ['status'],
      async collect() {
        const counts = await byStatus();
        if (counts === undefined) return;
        this.reset();
        for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
      },
    });
  }

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  /** Stops claiming, lets the batch in hand commit, stops listening. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wakeup.notify();
    await this.loop;
    await this.stopListening();
  }

  /**
   * Processes one batch; returns how many events it claimed. A batch whose transaction failed is
   * retried first (it is still claimed by this worker), so a transient error does not leave it
   * waiting for its claim to expire; after MAX_ATTEMPTS it is let go (its claim expires and any
   * replica tries again later) so one batch the database keeps refusing cannot stall the rest.
   */
  private async processBatch(): Promise<number> {
    const claimed =
      this.unfinished ??
      (await this.store.inbox.claimPending({
        worker: this.worker,
        limit: this.options.batchSize,
        claimTtlMs: this.options.claimTtlSeconds * 1000,
        // It holds nothing now: what it claimed before is a claim whose answer was lost (a hung
        // database that ran the statement after the client gave up), not worth a claim's expiry.
        reclaimOwn: true,
      }));
    if (claimed.length === 0) return 0;
    this.unfinishedAttempts = this.unfinished === claimed ? this.unfinishedAttempts + 1 : 1;
    this.unfinished = this.unfinishedAttempts < MAX_ATTEMPTS ? claimed : undefined;
    if (!this.unfinished) this.worker = workerId(); // let go: its claim expires, and anyone may take it then
    const plan = planInboxBatch(claimed, this.context);
    for (const failure of plan.failures) {
      this.logger.warn({ msg: 'inbox event could not be decided', ...failure });
    }
    const done = await this.store.transaction((tx) => this.commit(tx, plan));
    this.unfinished = undefined;
    if (done.events.size < claimed.length) {
      this.logger.warn({
        msg: 'inbox events already decided elsewhere (claim expired)',
        skipped: claimed.length - done.events.size,
      });
    }
    this.observe(claimed, plan, done);
    this.propagator.propagate(done.refreshes.map((r) => r.target));
    return claimed.length;
  }

  private async commit(tx: StoreRepositories, plan: InboxPlan): Promise<Committed> {
    // Outcomes first: an outcome another processor already recorded is not ours to act on.
    const events = new Set(await tx.inbox.complete(plan.outcomes));
    const refreshes = plan.refreshes.filter((r) => events.has(r.eventId));
    const enqueued = await tx.refreshes.enqueue(refreshes.map((r) => r.request));
    for (const { eventId, adjustment } of plan.adjustments) {
      if (events.has(eventId)) await this.adjust(tx, eventId, adjustment);
    }
    await tx.pipelineHealth.record(
      plan.heartbeats.filter((h) => events.has(h.eventId)).map((h) => h.heartbeat),
    );
    return { events, refreshes: refreshes.map((r, i) => ({ ...r, coalesced: enqueued[i].coalesced })) };
  }

  /** One statement per adjustment; event-driven changes never touch an operator's override. */
  private async adjust(
    tx: StoreRepositories,
    eventId: string,
    adjustment: IntervalAdjustment,
  ): Promise<void> {
    const match = {
      account: adjustment.account,
      region: adjustment.region,
      kinds: agentKindsForTypes(adjustment.types),
      overrideSetByPrefix: 'event:',
    };
    const { change } = adjustment;
    if (change.mode === 'reset') {
      await tx.schedules.clearOverride(match);
      return;
    }
    await tx.schedules.setOverride(match, {
      ...(change.mode === 'factor' ? { factor: change.factor } : { intervalMs: change.intervalMs }),
      expiresAt: adjustment.expiresAt === undefined ? null : new Date(adjustment.expiresAt),
      setBy: `event:${eventId}`,
      reason: adjustment.reason,
    });
  }

  private observe(claimed: PendingInboxEvent[], plan: InboxPlan, done: Committed): void {
    const now = Date.now();
    for (const event of claimed) {
      if (done.events.has(event.eventId)) this.latency.observe((now - event.receivedAt.getTime()) / 1000);
    }
    for (const outcome of plan.outcomes) {
      if (done.events.has(outcome.eventId))
        this.processed.inc({ outcome: outcome.outcome, reason: outcome.reason ?? '' });
    }
    for (const r of done.refreshes) {
      this.refreshes.inc({ origin: 'event', type: r.request.type, coalesced: String(r.coalesced) });
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      await this.ensureListening();
      let claimed = 0;
      try {
        claimed = await this.processBatch();
        failures = 0;
      } catch (error) {
        failures += 1;
        this.failures.inc();
        this.logger.warn({
          msg: 'inbox batch failed; retrying',
          failures,
          err: error instanceof Error ? error.message : String(error),
        });
        await this.wakeup.wait(Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(failures, 10)));
        continue;
      }
      // A full batch means more may be waiting: go again at once.
      if (claimed < this.options.batchSize && !this.stopping)
        await this.wakeup.wait(this.options.pollIntervalMs);
    }
  }

  private async ensureListening(): Promise<void> {
    if (this.unlisten || this.stopping) return;
    try {
      // listen() reports a lost connection only once it has resolved: by then this.unlisten holds it.
      this.unlisten = await this.store.listen(
        [INBOX_CHANNEL],
        () => this.wakeup.notify(),
        (error) => {
          this.logger.warn({
            msg: 'inbox LISTEN connection lost; polling until it is back',
            err: error.message,
          });
          void this.stopListening();
          this.wakeup.notify();
        },
      );
    } catch (error) {
      this.logger.warn({
        msg: 'cannot LISTEN for inbox events; polling',
        err: error instanceof Error ? error.message : String(error),
      });
    }
  }

  private async stopListening(): Promise<void> {
    const unlisten = this.unlisten;
    this.unlisten = undefined;
    await unlisten?.().catch(() => undefined);
  }
}
