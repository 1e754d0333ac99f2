import { type DynamicModule, Global, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '@event-cache/platform';
import { CatsDatabase } from './cats/cats-database';
import { ClouddriverProjection, type ProjectionRunner } from './clouddriver-projection';
import { ProjectionOutbox } from './relay/projection-outbox';
import { ProjectionRelay } from './relay/projection-relay';

/**
 * The Clouddriver cache projection of one service, as `clouddriver.cache` configures it:
 * - into the cache's own database (no `databaseUrl`): the projection itself is the store's port,
 *   and Clouddriver's rows are written in the cache's write transaction;
 * - into Clouddriver's database (`databaseUrl`): the store's port records changes in an outbox,
 *   in the cache's transaction, and the relay (caching-agents) projects them into that database.
 */
export class ClouddriverCache {
  /** What the cache store binds as its projection port. */
  readonly port: ClouddriverProjection | ProjectionOutbox;

  constructor(
    readonly projection: ClouddriverProjection,
    /** Clouddriver's database, when it is not the cache's. */
    readonly cats: CatsDatabase | null,
  ) {
    this.port = cats ? new ProjectionOutbox(projection, cats) : projection;
  }

  /**
   * Transactions whose SQL reaches Clouddriver's tables and whose view is the cache's state, from
   * the store's own transactions (`store.projectionTransaction`).
   */
  runner(store: ProjectionRunner): ProjectionRunner {
    const cats = this.cats;
    if (!cats) return store;
    return (work) => store((ours) => cats.transaction((sql) => work({ sql, view: ours.view })));
  }

  /** The relay of the outbox into Clouddriver's database (null when both live in one database). */
  relay(store: ProjectionRunner): ProjectionRelay | null {
    return this.cats ? new ProjectionRelay(this.projection, this.cats, store) : null;
  }

  async close(): Promise<void> {
    await this.cats?.close();
  }
}

/** The Clouddriver cache a service's configuration asks for, or null when it is off. */
export function clouddriverCacheFor(
  config: Pick<AppConfig, 'accounts' | 'clouddriver' | 'service'>,
): ClouddriverCache | null {
  const cache = config.clouddriver.cache;
  if (!cache.enabled) return null;
  const projection = new ClouddriverProjection({
    accounts: config.accounts,
    tableNamespace: cache.tableNamespace ?? null,
  });
  const cats = cache.databaseUrl
    ? new CatsDatabase(cache.databaseUrl, { applicationName: `${config.service}-clouddriver-projection` })
    : null;
  return new ClouddriverCache(projection, cats);
}

/** Injection token of the service's `ClouddriverCache` (null when the projection is off). */
export const CLOUDDRIVER_CACHE = Symbol('CLOUDDRIVER_CACHE');

class ClouddriverCacheCloser implements OnApplicationShutdown {
  constructor(private readonly cache: ClouddriverCache | null) {}
  async onApplicationShutdown(): Promise<void> {
    await this.cache?.close();
  }
}

/** Makes the service's `ClouddriverCache` injectable (`CLOUDDRIVER_CACHE`) and closes it on shutdown. */
@Global()
@Module({})
export class ClouddriverCacheModule {
  static forRoot(cache: ClouddriverCache | null): DynamicModule {
    return {
      module: ClouddriverCacheModule,
      providers: [
        { provide: CLOUDDRIVER_CACHE, useValue: cache },
        { provide: ClouddriverCacheCloser, useFactory: () => new ClouddriverCacheCloser(cache) },
      ],
      exports: [CLOUDDRIVER_CACHE],
    };
  }
}
