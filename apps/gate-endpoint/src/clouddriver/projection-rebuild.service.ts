import { Inject, Injectable, Logger, type OnApplicationShutdown, Optional } from '@nestjs/common';
import { CacheStore } from '@event-cache/cache-store';
import {
  CLOUDDRIVER_CACHE,
  type ClouddriverCache,
  REBUILD_LOCK,
  type RebuildProgress,
} from '@event-cache/clouddriver-projection';
import { CodedError, MetricsService } from '@event-cache/platform';
import { AppErrorCode } from '../error-status';

export interface RebuildStatus {
  state: 'idle' | 'running' | 'succeeded' | 'failed';
  startedAt: string | null;
  finishedAt: string | null;
  progress: RebuildProgress | null;
  error: string | null;
}

/**
 * Rebuilds the Clouddriver projection in the background (`POST /admin/clouddriver/rebuild`):
 * every stored resource is projected again, a batch per transaction, so agents keep writing, then
 * rows whose resource is gone are swept. The status is this replica's; a rebuild running on
 * another replica makes the start a 409.
 */
@Injectable()
export class ProjectionRebuildService implements OnApplicationShutdown {
  private readonly logger = new Logger(ProjectionRebuildService.name);
  private status: RebuildStatus = {
    state: 'idle',
    startedAt: null,
    finishedAt: null,
    progress: null,
    error: null,
  };
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private readonly actions;

  constructor(
    private readonly store: CacheStore,
    metrics: MetricsService,
    @Optional() @Inject(CLOUDDRIVER_CACHE) private readonly cache: ClouddriverCache | null = null,
  ) {
    this.actions = metrics.counter({
      name: 'admin_actions_total',
      help: 'Admin API changes by action',
      labelNames: ['action'],
    });
  }

  current(): RebuildStatus {
    this.cacheOrThrow();
    return this.status;
  }

  /** Starts a rebuild; resolves once it holds the lock (or refuses with 409). */
  async start(batchSize: number): Promise<RebuildStatus> {
    const cache = this.cacheOrThrow();
    if (this.running) throw new CodedError(AppErrorCode.RebuildRunning, 'a rebuild is already running here');
    let locked!: (held: boolean) => void;
    const holding = new Promise<boolean>((resolve) => (locked = resolve));
    this.running = this.store
      .exclusively(REBUILD_LOCK, async () => {
        locked(true);
        this.actions.inc({ action: 'clouddriver_rebuild' });
        this.status = {
          state: 'running',
          startedAt: new Date().toISOString(),
          finishedAt: null,
          progress: null,
          error: null,
        };
        this.logger.log({ msg: 'clouddriver projection rebuild started', batchSize });
        try {
          const run = cache.runner((work) => this.store.projectionTransaction(work));
          const progress = await cache.projection.rebuild(run, {
            batchSize,
            signal: this.abort.signal,
            onProgress: (p) => (this.status = { ...this.status, progress: p }),
          });
          this.status = {
            ...this.status,
            state: 'succeeded',
            finishedAt: new Date().toISOString(),
            progress,
          };
          this.logger.log({
            msg: 'clouddriver projection rebuild done',
            ...progress.stats,
            resources: progress.resources,
          });
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          this.status = {
            ...this.status,
            state: 'failed',
            finishedAt: new Date().toISOString(),
            error: message,
          };
          this.logger.error({ msg: 'clouddriver projection rebuild failed', err: message });
        }
      })
      .then((outcome) => {
        if (!outcome.acquired) locked(false);
      })
      .catch((error: unknown) => {
        locked(false);
        this.logger.error({ msg: 'clouddriver projection rebuild could not start', err: String(error) });
      })
      .finally(() => (this.running = undefined));
    if (!(await holding)) {
      throw new CodedError(AppErrorCode.RebuildRunning, 'a rebuild is already running (on another replica)');
    }
    return this.status;
  }

  async onApplicationShutdown(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private cacheOrThrow(): ClouddriverCache {
    if (this.cache) return this.cache;
    throw new CodedError(
      AppErrorCode.ProjectionDisabled,
      'the Clouddriver cache projection is off (clouddriver.cache.enabled)',
    );
  }
}
