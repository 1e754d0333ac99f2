import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  Optional,
} from '@nestjs/common';
import { CacheStore } from '@event-cache/cache-store';
import {
  CLOUDDRIVER_CACHE,
  type ClouddriverCache,
  type ProjectionRelay,
} from '@event-cache/clouddriver-projection';
import { MetricsService } from '@event-cache/platform';

/** The replica holding this lock relays; the others try again every LEADER_RETRY_MS. */
const RELAY_LOCK = 'event-cache:clouddriver-projection-relay';
const LEADER_RETRY_MS = 5_000;
const IDLE_POLL_MS = 100;
const ERROR_BACKOFF_MS = 2_000;

/**
 * With `clouddriver.cache.databaseUrl` set, Clouddriver's tables live in Clouddriver's own
 * database: every service records its cache changes in an outbox (in the same transaction), and
 * one caching-agents replica at a time relays them into Clouddriver's database, within
 * milliseconds while it keeps up. Without that setting this does nothing.
 */
@Injectable()
export class ClouddriverProjectionRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ClouddriverProjectionRelay.name);
  private readonly relay: ProjectionRelay | null;
  private stopped = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly relayed;

  constructor(
    private readonly store: CacheStore,
    metrics: MetricsService,
    @Optional() @Inject(CLOUDDRIVER_CACHE) cache: ClouddriverCache | null = null,
  ) {
    this.relay = cache?.relay((work) => this.store.projectionTransaction(work)) ?? null;
    this.relayed = metrics.counter({
      name: 'clouddriver_projection_relayed_total',
      help: "Outbox changes relayed into Clouddriver's database",
    });
    const relay = this.relay;
    if (relay) {
      metrics.gauge({
        name: 'clouddriver_projection_outbox_age_seconds',
        help: "Age of the oldest change waiting in the outbox for Clouddriver's database (0 when none)",
        async collect() {
          this.set((await relay.backlog()).oldestSeconds);
        },
      });
    }
  }

  onApplicationBootstrap(): void {
    if (!this.relay) return;
    this.running = this.lead(this.relay);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  /** Takes the relay lock (retrying while another replica holds it) and relays until shutdown. */
  private async lead(relay: ProjectionRelay): Promise<void> {
    while (!this.stopped) {
      try {
        const outcome = await this.store.exclusively(RELAY_LOCK, () => this.relayUntilStopped(relay));
        if (outcome.acquired) return;
      } catch (error) {
        this.logger.warn({ msg: 'Clouddriver projection relay failed', err: describe(error) });
      }
      await this.sleep(LEADER_RETRY_MS);
    }
  }

  private async relayUntilStopped(relay: ProjectionRelay): Promise<void> {
    this.logger.log({ msg: "relaying the Clouddriver projection into Clouddriver's database" });
    while (!this.stopped) {
      try {
        const { rows } = await relay.relayOnce();
        this.relayed.inc(rows);
        if (rows === 0) await this.sleep(IDLE_POLL_MS);
      } catch (error) {
        this.logger.warn({ msg: 'relaying the Clouddriver projection failed', err: describe(error) });
        await this.sleep(ERROR_BACKOFF_MS);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
