import {
  type DynamicModule,
  Global,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CacheStore } from './cache-store';
import { createDataSource, type DatabaseOptions } from './data-source';
import { CACHE_PROJECTION, type CacheProjectionPort } from './projection.port';
import { projectionSql } from './repositories/projection-view';
import { migrationsApplied } from './migrate';
import { AgentLeaseRepository } from './repositories/agent-lease.repository';
import { AgentScheduleRepository } from './repositories/agent-schedule.repository';
import { CachedResourceRepository } from './repositories/cached-resource.repository';
import { ClouddriverRegistryRepository } from './repositories/clouddriver-registry.repository';
import { EventInboxRepository } from './repositories/event-inbox.repository';
import { PipelineHealthRepository } from './repositories/pipeline-health.repository';
import { RefreshRequestRepository } from './repositories/refresh-request.repository';

/** What a service adds to its store: a projection kept in step with every resource write. */
export interface StoreExtras {
  projection?: CacheProjectionPort | null;
}

/** /health/ready contribution: the database answers and every migration has been applied. */
@Injectable()
export class DatabaseReadiness {
  readonly name = 'database';
  constructor(@Inject(DataSource) private readonly db: DataSource) {}

  async check(): Promise<{ ready: boolean; detail?: Record<string, unknown> }> {
    await this.db.query('SELECT 1');
    const applied = await migrationsApplied(this.db);
    return applied ? { ready: true } : { ready: false, detail: { message: 'migrations pending' } };
  }
}

@Injectable()
class DataSourceCloser implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly db: DataSource) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.db.isInitialized) await this.db.destroy();
  }
}

const REPOSITORIES = [
  CachedResourceRepository,
  AgentLeaseRepository,
  AgentScheduleRepository,
  RefreshRequestRepository,
  EventInboxRepository,
  PipelineHealthRepository,
  ClouddriverRegistryRepository,
];

/**
 * The store as a Nest module: one pooled DataSource (initialized at start; the service does not
 * start without its database), the repositories, the unit of work and the readiness check.
 */
@Global()
@Module({})
export class CacheStoreModule {
  /** The store of one service, from its validated configuration. */
  static forService(
    config: {
      service: string;
      database: {
        url: string;
        poolSize: number;
        statementTimeoutMs: number;
        connectTimeoutMs: number;
        queryTimeoutMs: number;
      };
    },
    extras: StoreExtras = {},
  ): DynamicModule {
    const { database } = config;
    return CacheStoreModule.forRoot(
      {
        url: database.url,
        poolSize: database.poolSize,
        statementTimeoutMs: database.statementTimeoutMs,
        connectTimeoutMs: database.connectTimeoutMs,
        queryTimeoutMs: database.queryTimeoutMs,
        applicationName: config.service,
      },
      extras,
    );
  }

  static forRoot(options: DatabaseOptions, extras: StoreExtras = {}): DynamicModule {
    const { projection } = extras;
    return {
      module: CacheStoreModule,
      providers: [
        {
          provide: DataSource,
          useFactory: async () => createDataSource(options).initialize(),
        },
        {
          provide: CACHE_PROJECTION,
          useFactory: async (db: DataSource) => {
            if (!projection) return null;
            await db.transaction(async (manager) => {
              await projection.init?.(projectionSql(manager));
            });
            return projection;
          },
          inject: [DataSource],
        },
        DataSourceCloser,
        DatabaseReadiness,
        CacheStore,
        ...REPOSITORIES,
      ],
      exports: [CacheStore, DatabaseReadiness, CACHE_PROJECTION, ...REPOSITORIES],
    };
  }
}
