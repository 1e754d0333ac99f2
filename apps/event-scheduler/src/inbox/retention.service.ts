import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { CacheStore } from '@event-cache/cache-store';
import { APP_CONFIG, type AppConfig, MetricsService } from '@event-cache/platform';

const PURGE_BATCH = 10_000;
const HOUR_MS = 3_600_000;

/**
 * Retention on a timer: processed inbox events older than `retention.eventInboxDays` and finished
 * refresh requests older than `retention.refreshRequestHours` are deleted in bounded batches (so a
 * large backlog never holds long locks). Replicas may purge at the same time: deletes are idempotent.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RetentionService.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly purged;

  constructor(
    private readonly store: CacheStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.purged = metrics.counter({
      name: 'retention_purged_total',
      help: 'Rows deleted by retention, by table',
      labelNames: ['table'],
    });
  }

  onApplicationBootstrap(): void {
    const seconds = this.config.inbox.purgeIntervalSeconds;
    if (seconds === 0) return;
    this.timer = setInterval(() => {
      this.running ??= this.purge()
        .catch((error: unknown) =>
          this.logger.warn({
            msg: 'retention purge failed',
            err: error instanceof Error ? error.message : String(error),
          }),
        )
        .then(() => (this.running = undefined));
    }, seconds * 1000);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Purges everything past retention; returns the rows deleted per table. */
  async purge(now = new Date()): Promise<{ events: number; refreshes: number }> {
    const { eventInboxDays, refreshRequestHours } = this.config.retention;
    const events = await this.drain((limit) =>
      this.store.inbox.purge(new Date(now.getTime() - eventInboxDays * 24 * HOUR_MS), limit),
    );
    const refreshes = await this.drain((limit) =>
      this.store.refreshes.purgeFinished(new Date(now.getTime() - refreshRequestHours * HOUR_MS), limit),
    );
    this.purged.inc({ table: 'event_inbox' }, events);
    this.purged.inc({ table: 'refresh_request' }, refreshes);
    if (events + refreshes > 0) this.logger.log({ msg: 'retention purge', events, refreshes });
    return { events, refreshes };
  }

  private async drain(purge: (limit: number) => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await purge(PURGE_BATCH);
      total += n;
      if (n < PURGE_BATCH) return total;
    }
  }
}
