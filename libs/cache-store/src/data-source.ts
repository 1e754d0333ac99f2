import { Client, type ClientConfig } from 'pg';
import { DataSource } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

export interface DatabaseOptions {
  url: string;
  poolSize?: number;
  statementTimeoutMs?: number;
  /**
   * Opening a connection, and waiting for a free one of the pool, gives up after this long, so a
   * hung server cannot hold callers forever (unset or 0: waits).
   */
  connectTimeoutMs?: number;
  /**
   * A query whose answer has not arrived after this long fails on the client, even when the
   * server is hung and cannot enforce its statement timeout (unset or 0: waits). The connection
   * stays in use until the server answers (or the connection dies), so nothing is mixed up.
   */
  queryTimeoutMs?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
}

/**
 * The pool's connections, each with a last-resort `error` listener. The pool and TypeORM listen on
 * a connection while they hold it, but a connection the server ends (a restart, a failover,
 * `pg_terminate_backend`) at a moment neither does would emit `error` to no one, which crashes the
 * process. Whoever holds the connection still hears the error; a broken connection is not
 * queryable, so its next use fails and the pool drops it.
 */
class PooledClient extends Client {
  constructor(config?: string | ClientConfig) {
    super(config);
    this.on('error', () => undefined);
  }
}

/** A DataSource over our entities and migrations; never synchronizes. Not yet initialized. */
export function createDataSource(options: DatabaseOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    applicationName: options.applicationName ?? 'event-cache',
    extra: {
      max: options.poolSize ?? 10,
      Client: PooledClient,
      // A peer that vanished without closing the connection (a network partition) is noticed.
      keepAlive: true,
      ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
      ...(options.connectTimeoutMs ? { connectionTimeoutMillis: options.connectTimeoutMs } : {}),
      ...(options.queryTimeoutMs ? { query_timeout: options.queryTimeoutMs } : {}),
    },
  });
}
