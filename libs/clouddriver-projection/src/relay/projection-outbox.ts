import type { CatsDatabase } from '../cats/cats-database';
import type { Sql } from '../cats/sql';
import type {
  ClouddriverProjection,
  OnDemandChange,
  ResourceChange,
  StoreView,
} from '../clouddriver-projection';

/** The outbox in the cache's database: what changed, until the relay has projected it. */
export const OUTBOX_TABLE = 'clouddriver_projection_outbox';

/** One outbox row's change: keys only; the relay reads the resources' state when it projects. */
export interface OutboxChange {
  written?: { key: string; created: boolean }[];
  evicted?: string[];
  previousLinks?: ResourceChange['previousLinks'];
  onDemand?: (Omit<OnDemandChange, 'cacheTime' | 'processedTime'> & {
    cacheTime: number;
    processedTime: number | null;
  })[];
}

/**
 * The store's projection port when Clouddriver's tables live in another database: a change is
 * recorded, in the same transaction as the cache's write, as one outbox row, and the relay
 * projects it into Clouddriver's database afterwards (at least once; projecting is idempotent,
 * from the cache's state at that time).
 */
export class ProjectionOutbox {
  constructor(
    private readonly projection: ClouddriverProjection,
    private readonly cats: CatsDatabase,
  ) {}

  /** Creates the outbox (the cache's database) and Clouddriver's tables (Clouddriver's database). */
  async init(sql: Sql): Promise<void> {
    await sql.query(
      `CREATE TABLE IF NOT EXISTS ${OUTBOX_TABLE} (
         id bigserial PRIMARY KEY,
         change jsonb NOT NULL,
         created_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    await this.cats.transaction((cats) => this.projection.init(cats));
  }

  async apply(change: ResourceChange, tx: { sql: Sql; view: StoreView }): Promise<void> {
    await record(tx.sql, {
      written: change.written.map((r) => ({ key: r.key, created: r.created === true })),
      evicted: change.evicted,
      previousLinks: change.previousLinks,
    });
  }

  async onDemand(changes: OnDemandChange[], tx: { sql: Sql }): Promise<void> {
    await record(tx.sql, {
      onDemand: changes.map((c) => ({
        ...c,
        cacheTime: c.cacheTime.getTime(),
        processedTime: c.processedTime?.getTime() ?? null,
      })),
    });
  }
}

async function record(sql: Sql, change: OutboxChange): Promise<void> {
  await sql.query(`INSERT INTO ${OUTBOX_TABLE} (change) VALUES ($1::jsonb)`, [JSON.stringify(change)]);
}
