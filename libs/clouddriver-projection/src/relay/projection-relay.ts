import type { CatsDatabase } from '../cats/cats-database';
import type { WriteStats } from '../cats/cats-writer';
import type { Sql } from '../cats/sql';
import type {
  ClouddriverProjection,
  OnDemandChange,
  ProjectionRunner,
  StoreView,
} from '../clouddriver-projection';
import type { StoredResource } from '../projectors/stored-resource';
import { OUTBOX_TABLE, type OutboxChange } from './projection-outbox';

/**
 * Projects the outbox into Clouddriver's database: claims a batch of outbox rows (in a transaction
 * of the cache's database), reads the current state of the resources they name, writes Clouddriver's
 * rows in one transaction of Clouddriver's database, then deletes the rows it projected. A crash
 * in between projects the batch again, which changes nothing. One relay runs at a time (its caller
 * holds a lock), so two projections of one resource cannot race.
 */
export class ProjectionRelay {
  constructor(
    private readonly projection: ClouddriverProjection,
    private readonly cats: CatsDatabase,
    /** Transactions of the cache's database (the store's `projectionTransaction`). */
    private readonly store: ProjectionRunner,
    private readonly batchSize = 500,
  ) {}

  /** Projects one batch; returns how many outbox rows it took (0: nothing waiting). */
  async relayOnce(): Promise<{ rows: number; stats: WriteStats | null }> {
    return this.store(async (ours) => {
      const rows = await ours.sql.query<{ id: string; change: OutboxChange }>(
        `SELECT id, change FROM ${OUTBOX_TABLE} ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.batchSize],
      );
      if (rows.length === 0) return { rows: 0, stats: null };
      const created = new Set<string>();
      const touched = new Set<string>();
      const previousLinks: OutboxChange['previousLinks'] = [];
      const onDemand = new Map<string, OnDemandChange>();
      for (const { change } of rows) {
        for (const w of change.written ?? []) {
          touched.add(w.key);
          if (w.created) created.add(w.key);
        }
        for (const key of change.evicted ?? []) touched.add(key);
        previousLinks.push(...(change.previousLinks ?? []));
        for (const o of change.onDemand ?? []) {
          // In outbox order: the last word on a key wins.
          onDemand.set(o.key, {
            ...o,
            cacheTime: new Date(o.cacheTime),
            processedTime: o.processedTime === null ? null : new Date(o.processedTime),
          });
        }
      }
      const current = await ours.view.resources([...touched]);
      const present = new Set(current.map((r) => r.key));
      const written: StoredResource[] = current.map((r) => ({ ...r, created: created.has(r.key) }));
      const evicted = [...touched].filter((key) => !present.has(key));
      const stats = await this.cats.transaction(async (cats: Sql) => {
        const view: StoreView = ours.view;
        const result = await this.projection.apply({ written, evicted, previousLinks }, { sql: cats, view });
        if (onDemand.size > 0) await this.projection.onDemand([...onDemand.values()], { sql: cats });
        return result;
      });
      await ours.sql.query(`DELETE FROM ${OUTBOX_TABLE} WHERE id = ANY($1::bigint[])`, [
        rows.map((r) => r.id),
      ]);
      return { rows: rows.length, stats };
    });
  }

  /** Relays until the outbox is empty. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const { rows } = await this.relayOnce();
      total += rows;
      if (rows < this.batchSize) return total;
    }
  }

  /** Rows waiting in the outbox, and how old the oldest is (for metrics). */
  async backlog(): Promise<{ rows: number; oldestSeconds: number }> {
    return this.store(async (ours) => {
      const [row] = await ours.sql.query<{ rows: string; oldest: number | null }>(
        `SELECT count(*) AS rows, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS oldest FROM ${OUTBOX_TABLE}`,
      );
      return { rows: Number(row.rows), oldestSeconds: row.oldest ?? 0 };
    });
  }
}
