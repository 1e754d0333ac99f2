import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { createDataSource } from './data-source';
import { CACHE_PROJECTION, type CacheProjectionPort, type ProjectionTransaction } from './projection.port';
import { projectionSql, TransactionStoreView } from './repositories/projection-view';
import { AgentLeaseRepository } from './repositories/agent-lease.repository';
import { AgentScheduleRepository } from './repositories/agent-schedule.repository';
import { CachedResourceRepository } from './repositories/cached-resource.repository';
import { ClouddriverRegistryRepository } from './repositories/clouddriver-registry.repository';
import { EventInboxRepository } from './repositories/event-inbox.repository';
import { PipelineHealthRepository } from './repositories/pipeline-health.repository';
import { RefreshRequestRepository } from './repositories/refresh-request.repository';

/** Every repository, bound to one connection scope (the pool, or one transaction). */
export class StoreRepositories {
  readonly resources: CachedResourceRepository;
  readonly leases: AgentLeaseRepository;
  readonly schedules: AgentScheduleRepository;
  readonly refreshes: RefreshRequestRepository;
  readonly inbox: EventInboxRepository;
  readonly pipelineHealth: PipelineHealthRepository;
  readonly clouddrivers: ClouddriverRegistryRepository;

  constructor(db: DataSource | EntityManager, projection: CacheProjectionPort | null = null) {
    this.resources = new CachedResourceRepository(db, projection);
    this.leases = new AgentLeaseRepository(db);
    this.schedules = new AgentScheduleRepository(db, projection);
    this.refreshes = new RefreshRequestRepository(db, projection);
    this.inbox = new EventInboxRepository(db);
    this.pipelineHealth = new PipelineHealthRepository(db);
    this.clouddrivers = new ClouddriverRegistryRepository(db);
  }
}

/**
 * Unit of work over the store: `store.transaction(tx => ...)` runs several repositories' writes
 * atomically (e.g. an inbox outcome together with the refresh requests it caused).
 */
@Injectable()
export class CacheStore extends StoreRepositories {
  constructor(
    private readonly dataSource: DataSource,
    @Optional() @Inject(CACHE_PROJECTION) private readonly projection: CacheProjectionPort | null = null,
  ) {
    super(dataSource, projection);
  }

  transaction<T>(work: (tx: StoreRepositories) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) => work(new StoreRepositories(manager, this.projection)));
  }

  /**
   * A transaction as the bound projection sees one (SQL plus the store's state on it): what a
   * projection's rebuild runs each of its batches in.
   */
  projectionTransaction<T>(work: (tx: ProjectionTransaction) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) => {
      const sql = projectionSql(manager);
      return work({ sql, view: new TransactionStoreView(sql) });
    });
  }

  /**
   * Runs `work` while holding the session-level advisory lock `name` on a connection of its own,
   * unless another session holds it (then resolves to `{ acquired: false }` at once): one run of
   * a job across every replica.
   */
  async exclusively<T>(
    name: string,
    work: () => Promise<T>,
  ): Promise<{ acquired: true; result: T } | { acquired: false }> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [row] = (await runner.query(`SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS acquired`, [
        name,
      ])) as { acquired: boolean }[];
      if (!row.acquired) return { acquired: false };
      try {
        return { acquired: true, result: await work() };
      } finally {
        await runner
          .query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [name])
          .catch(() => undefined);
      }
    } finally {
      await runner.release();
    }
  }

  /**
   * Whether the database answers and takes writes now (not a read-only standby, e.g. during a
   * failover): a cheap probe for callers that paused their writes during an outage.
   */
  async writable(): Promise<boolean> {
    const [row] = await this.dataSource.query<{ writable: boolean }[]>(
      `SELECT current_setting('transaction_read_only') = 'off' AS writable`,
    );
    return row?.writable === true;
  }

  /**
   * A dedicated client for LISTEN (wake-ups on new inbox events / refresh requests). When that
   * connection fails later (server restart, terminated backend), `onError` is told once and no
   * more notifications arrive: the caller listens again (and polls meanwhile). `onError` is only
   * ever called after the returned promise resolved: a connection that fails while LISTEN is
   * being set up rejects the promise instead.
   */
  async listen(
    channels: string[],
    onNotify: (channel: string) => void,
    onError: (error: Error) => void = () => undefined,
  ): Promise<() => Promise<void>> {
    const statements = channels.map((channel) => `LISTEN ${quoteIdent(channel)}`); // validate before connecting
    const runner = this.dataSource.createQueryRunner();
    const client = (await runner.connect()) as {
      on(event: 'notification', cb: (msg: { channel: string }) => void): void;
      on(event: 'error', cb: (error: Error) => void): void;
      removeListener(event: 'error', cb: (error: Error) => void): void;
      removeAllListeners(event: string): void;
    };
    // A checked-out pg client that errors with no listener would crash the process.
    let failure: Error | undefined;
    let handedOver = false;
    const errorListener = (error: Error) => {
      if (failure) return;
      failure = error;
      client.removeAllListeners('notification');
      if (handedOver) onError(error);
    };
    client.on('error', errorListener);
    client.on('notification', (msg) => onNotify(msg.channel));
    // Never hands a pooled connection back still listening; a broken one leaves the pool.
    const stop = async () => {
      client.removeAllListeners('notification');
      try {
        if (!failure) await runner.query('UNLISTEN *');
      } finally {
        client.removeListener('error', errorListener);
        await runner.release();
      }
    };
    try {
      for (const statement of statements) await runner.query(statement);
      if (failure) throw failure; // the connection died while LISTEN was being set up
    } catch (err) {
      await stop().catch(() => undefined);
      throw err;
    }
    handedOver = true;
    return stop;
  }
}

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid channel name ${name}`);
  return `"${name}"`;
}

/** Opens a pooled store outside Nest (tools, benchmarks, tests). */
export async function openCacheStore(
  url: string,
  options: { poolSize?: number; applicationName?: string; projection?: CacheProjectionPort } = {},
): Promise<{ dataSource: DataSource; store: CacheStore; close: () => Promise<void> }> {
  const { projection, ...database } = options;
  const dataSource = await createDataSource({ url, ...database }).initialize();
  if (projection?.init) {
    await dataSource
      .transaction((manager) => projection.init!(projectionSql(manager)))
      .catch(async (e: unknown) => {
        await dataSource.destroy();
        throw e;
      });
  }
  return {
    dataSource,
    store: new CacheStore(dataSource, projection ?? null),
    close: () => dataSource.destroy(),
  };
}
