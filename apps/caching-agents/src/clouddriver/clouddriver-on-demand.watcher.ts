import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  Optional,
} from '@nestjs/common';
import { CacheStore, refreshRequestFor } from '@event-cache/cache-store';
import { CLOUDDRIVER_CACHE, type ClouddriverCache } from '@event-cache/clouddriver-projection';
import { APP_CONFIG, type AppConfig, MetricsService } from '@event-cache/platform';

/** onDemand rows live 10 minutes: after a restart, look that far back. */
const LOOK_BACK_MS = 10 * 60_000;
/**
 * Each pass reads again what changed shortly before the last row it saw: a row written by a
 * transaction that committed late carries an earlier `last_updated`. A pending row seen twice is
 * enqueued twice, which coalesces.
 */
const OVERLAP_MS = 10_000;

/**
 * With Clouddriver's AWS agents switched off, a force refresh that Orca sends to Clouddriver
 * itself writes an onDemand row that no agent will ever process, and Orca waits for it until it
 * gives up (12 minutes). This watcher turns such rows into on-demand refresh requests of ours;
 * when the refresh completes the projection marks the row processed, as Clouddriver's agent would.
 * Every replica watches (enqueueing coalesces with a pending request for the same key).
 */
@Injectable()
export class ClouddriverOnDemandWatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ClouddriverOnDemandWatcher.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private since = Date.now() - LOOK_BACK_MS;
  private readonly picked;

  constructor(
    private readonly store: CacheStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
    @Optional() @Inject(CLOUDDRIVER_CACHE) private readonly cache: ClouddriverCache | null = null,
  ) {
    this.picked = metrics.counter({
      name: 'clouddriver_on_demand_picked_total',
      help: "Clouddriver onDemand rows (Orca calling Clouddriver's force refresh) turned into refresh requests, by type",
      labelNames: ['type'],
    });
  }

  onApplicationBootstrap(): void {
    const { watch, pollIntervalMs } = this.config.clouddriver.cache.onDemand;
    if (!watch || !this.cache) return;
    this.timer = setInterval(() => {
      this.running ??= this.poll()
        .catch((error: unknown) =>
          this.logger.warn({
            msg: 'reading Clouddriver onDemand rows failed',
            err: error instanceof Error ? error.message : String(error),
          }),
        )
        .then(() => (this.running = undefined));
    }, pollIntervalMs);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass: rows changed since (shortly before) the last pass that still wait for a read. */
  async poll(): Promise<number> {
    const cache = this.cache;
    if (!cache) return 0;
    const inClouddriversTables = cache.runner((work) => this.store.projectionTransaction(work));
    const { pending, lastUpdated } = await inClouddriversTables((tx) =>
      cache.projection.pendingOnDemand(tx.sql, this.since - OVERLAP_MS, 1_000),
    );
    if (lastUpdated !== null) this.since = Math.max(this.since, lastUpdated);
    if (pending.length === 0) return 0;
    await this.store.refreshes.enqueue(
      pending.map((p) =>
        refreshRequestFor(
          {
            type: p.type,
            account: p.account,
            region: p.region,
            key: p.key,
            partial: false,
            id: p.id,
            idKind: p.idKind,
          },
          'on-demand',
          p.cacheTime,
        ),
      ),
    );
    for (const p of pending) this.picked.inc({ type: p.type });
    return pending.length;
  }
}
