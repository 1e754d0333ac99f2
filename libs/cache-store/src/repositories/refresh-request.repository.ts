import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { RefreshOrigin, RefreshStatus } from '../entities';
import { CACHE_PROJECTION, type CacheProjectionPort, type OnDemandChange } from '../projection.port';
import { projectionSql, TransactionStoreView } from './projection-view';
import type { Queryable } from './queryable';
import { returnedRows, toDate, toDateOrNull } from './sql';

export interface RefreshEnqueue {
  type: string;
  key: string;
  account: string;
  region: string;
  origin: RefreshOrigin;
  /** Orca's cacheTime: when the caller asked. */
  requestedAt: Date;
  /** Extra detail the refresher needs (ids the key lacks ...). */
  target?: Record<string, unknown> | null;
  /**
   * Not claimable before this many milliseconds from now (database time, at most an hour): a
   * re-check of something still settling. Default 0. A pending request for the key keeps the
   * earlier of the two.
   */
  delayMs?: number;
}

export interface EnqueuedRefresh {
  id: string;
  key: string;
  /** True when the request folded into one already pending for the key. */
  coalesced: boolean;
}

export interface RefreshRequestView {
  id: string;
  type: string;
  key: string;
  account: string;
  region: string;
  target: Record<string, unknown> | null;
  origin: RefreshOrigin;
  status: RefreshStatus;
  requestedAt: Date;
  requestCount: number;
  attempts: number;
  claimedBy: string | null;
  processedAt: Date | null;
  processedCount: number | null;
  error: string | null;
  mergedInto: string | null;
}

export interface ClaimOptions {
  worker: string;
  limit: number;
  claimTtlMs: number;
  /** Only claim these key types (the kinds this worker can refresh). */
  types?: string[];
}

const ORIGIN_RANK: Record<RefreshOrigin, number> = { event: 0, manual: 1, 'on-demand': 2 };
/** The same ranking in SQL: `originRank(col)` is 0..2, `ORIGIN_BY_RANK[rank + 1]` the origin. */
const originRank = (column: string) =>
  `CASE ${column} WHEN 'on-demand' THEN 2 WHEN 'manual' THEN 1 ELSE 0 END`;
const ORIGIN_BY_RANK = `(ARRAY['event', 'manual', 'on-demand'])`;

/**
 * Refresh requests: coalesced while pending, claimed in batches of one account/region/type with
 * SKIP LOCKED, completed or retried with backoff, and readable for Orca and webhook polling.
 */
@Injectable()
export class RefreshRequestRepository {
  constructor(
    @Inject(DataSource) private readonly db: Queryable,
    /** Told of on-demand requests as they are asked for and processed, in the same transaction. */
    @Optional() @Inject(CACHE_PROJECTION) private readonly projection: CacheProjectionPort | null = null,
  ) {}

  /**
   * Enqueues many requests in one statement; a key already pending absorbs the new request and
   * becomes claimable at the earlier of the two times (an immediate ask overtakes a delayed one).
   */
  async enqueue(requests: readonly RefreshEnqueue[]): Promise<EnqueuedRefresh[]> {
    if (requests.length === 0) return [];
    const merged = mergeByKey(requests);
    const projected = this.projection?.onDemand && merged.some((r) => r.origin === 'on-demand');
    const rows = projected
      ? await this.db.transaction(async (tx) => {
          const inserted = await this.insertRequests(tx, merged);
          await this.projectOnDemand(tx, inserted);
          return inserted;
        })
      : await this.insertRequests(this.db, merged);
    const byKey = new Map(rows.map((r) => [r.key, r]));
    // Answer in the caller's order; duplicates within the call count as coalesced.
    const seen = new Set<string>();
    return requests.map((req) => {
      const row = byKey.get(req.key)!;
      const coalesced = row.coalesced || seen.has(req.key);
      seen.add(req.key);
      return { id: String(row.id), key: req.key, coalesced };
    });
  }

  private insertRequests(
    db: Queryable,
    merged: ReturnType<typeof mergeByKey>,
  ): Promise<ProjectedRequestRow[]> {
    return db.query(
      `INSERT INTO refresh_request AS r (type, key, account, region, target, origin, requested_at, request_count, not_before)
       SELECT i.type, i.key, i.account, i.region, i.target, i.origin, i.requested_at, i.request_count,
              now() + make_interval(secs => i.delay_ms / 1000)
         FROM json_to_recordset($1::json)
           AS i(type text, key text, account text, region text, target jsonb, origin text, requested_at timestamptz,
                request_count int, delay_ms double precision)
       ON CONFLICT (key) WHERE status = 'pending' DO UPDATE
          SET requested_at = GREATEST(r.requested_at, excluded.requested_at),
              request_count = r.request_count + excluded.request_count,
              origin = CASE WHEN excluded.origin = 'on-demand' OR r.origin = 'on-demand' THEN 'on-demand'
                            WHEN excluded.origin = 'manual' OR r.origin = 'manual' THEN 'manual'
                            ELSE r.origin END,
              target = COALESCE(excluded.target, r.target),
              not_before = LEAST(r.not_before, excluded.not_before)
       RETURNING r.id, r.key, (r.xmax <> 0) AS coalesced, ${PROJECTED_COLUMNS}`,
      [JSON.stringify(merged)],
    );
  }

  /** Tells the projection about the on-demand requests among `rows`. */
  private async projectOnDemand(tx: EntityManager, rows: ProjectedRequestRow[]): Promise<void> {
    const changes: OnDemandChange[] = rows
      .filter((r) => r.origin === 'on-demand')
      .map((r) => ({
        type: r.type,
        key: r.key,
        account: r.account,
        region: r.region,
        cacheTime: toDate(r.requested_at),
        processedTime: toDateOrNull(r.processed_at),
        processedCount: r.processed_count ?? 0,
      }));
    if (changes.length === 0 || !this.projection?.onDemand) return;
    const sql = projectionSql(tx);
    await this.projection.onDemand(changes, { sql, view: new TransactionStoreView(sql) });
  }

  /**
   * Claims up to `limit` requests of one account/region/type (the oldest waiting group), skipping
   * rows other workers hold. Requests whose claim expired (a worker died) are claimed again.
   */
  async claimBatch(options: ClaimOptions): Promise<RefreshRequestView[]> {
    const result: unknown = await this.db.query(
      `WITH head AS (
         SELECT account, region, type FROM refresh_request
          WHERE ((status = 'pending' AND not_before <= now()) OR (status = 'claimed' AND claim_expires_at <= now()))
            AND ($4::text[] IS NULL OR type = ANY($4::text[]))
          ORDER BY requested_at
          LIMIT 1
          FOR UPDATE SKIP LOCKED
       ), picked AS (
         SELECT r.id FROM refresh_request r JOIN head h ON (r.account, r.region, r.type) = (h.account, h.region, h.type)
          WHERE (r.status = 'pending' AND r.not_before <= now()) OR (r.status = 'claimed' AND r.claim_expires_at <= now())
          ORDER BY r.requested_at
          LIMIT $2
          FOR UPDATE OF r SKIP LOCKED
       )
       UPDATE refresh_request r
          SET status = 'claimed', claimed_by = $1, claimed_at = now(),
              claim_expires_at = now() + make_interval(secs => $3::double precision / 1000), attempts = r.attempts + 1
         FROM picked WHERE r.id = picked.id
       RETURNING r.*`,
      [options.worker, options.limit, options.claimTtlMs, options.types ?? null],
    );
    return returnedRows<RequestRow>(result)
      .map(toView)
      .sort((a, b) => a.requestedAt.getTime() - b.requestedAt.getTime());
  }

  /**
   * Marks claimed requests processed by a fresh read that started at `readStartedAt`. A request
   * asked for after that read started is not completed (its claim expires and it is read again).
   */
  async complete(worker: string, ids: readonly string[], readStartedAt: Date): Promise<string[]> {
    if (ids.length === 0) return [];
    const run = async (db: Queryable) => {
      const rows = returnedRows<ProjectedRequestRow>(
        await db.query(
          `UPDATE refresh_request r
              SET status = 'succeeded', processed_at = now(), processed_count = COALESCE(processed_count, 0) + 1,
                  claim_expires_at = NULL, error = NULL
            WHERE id = ANY($2::bigint[]) AND claimed_by = $1 AND status = 'claimed' AND requested_at <= $3
            RETURNING id, key, ${PROJECTED_COLUMNS}`,
          [worker, ids, readStartedAt],
        ),
      );
      return rows;
    };
    if (!this.projection?.onDemand) return (await run(this.db)).map((r) => String(r.id));
    return this.db.transaction(async (tx) => {
      const rows = await run(tx);
      await this.projectOnDemand(tx, rows);
      return rows.map((r) => String(r.id));
    });
  }

  /**
   * Records failed attempts: back to pending after an exponential backoff, folded into a newer
   * pending request for the same key when there is one, or failed for good after `maxAttempts`.
   */
  async fail(
    worker: string,
    failures: readonly { id: string; error: string }[],
    options: { maxAttempts: number; backoffMs: number },
  ): Promise<{ id: string; status: RefreshStatus }[]> {
    if (failures.length === 0) return [];
    const result: unknown = await this.db.query(
      `WITH input AS (
         SELECT * FROM unnest($2::bigint[], $3::text[]) AS i(id, error)
       ), f AS (
         -- Per key, over the requests that are retried (not given up): strongest origin, how many
         -- requests they stand for, latest ask. The request they fold into answers for all of them.
         SELECT r.id, r.key, r.attempts, i.error,
                row_number() OVER (PARTITION BY r.key ORDER BY r.id DESC) AS rn,
                first_value(r.id) OVER (PARTITION BY r.key ORDER BY r.id DESC) AS newest_failed,
                max(${originRank('r.origin')}) FILTER (WHERE r.attempts < $4) OVER (PARTITION BY r.key) AS best_rank,
                sum(r.request_count) FILTER (WHERE r.attempts < $4) OVER (PARTITION BY r.key) AS requests,
                max(r.requested_at) FILTER (WHERE r.attempts < $4) OVER (PARTITION BY r.key) AS last_requested_at
           FROM refresh_request r JOIN input i ON i.id = r.id
          WHERE r.claimed_by = $1 AND r.status = 'claimed'
       ), newer AS (
         SELECT p.key, p.id FROM refresh_request p WHERE p.status = 'pending' AND p.key IN (SELECT key FROM f)
       ), absorbed AS (
         UPDATE refresh_request p
            SET origin = ${ORIGIN_BY_RANK}[GREATEST(${originRank('p.origin')}, f.best_rank) + 1],
                request_count = p.request_count + f.requests,
                requested_at = GREATEST(p.requested_at, f.last_requested_at)
           FROM f JOIN newer n ON n.key = f.key
          WHERE p.id = n.id AND f.rn = 1 AND f.requests IS NOT NULL
       )
       UPDATE refresh_request r
          SET status = CASE WHEN f.attempts >= $4 THEN 'failed'
                            WHEN n.id IS NOT NULL OR f.rn > 1 THEN 'merged'
                            ELSE 'pending' END,
              merged_into = CASE WHEN f.attempts >= $4 THEN NULL
                                 WHEN n.id IS NOT NULL THEN n.id
                                 WHEN f.rn > 1 THEN f.newest_failed END,
              origin = CASE WHEN f.attempts < $4 AND n.id IS NULL AND f.rn = 1
                            THEN ${ORIGIN_BY_RANK}[f.best_rank + 1] ELSE r.origin END,
              request_count = CASE WHEN f.attempts < $4 AND n.id IS NULL AND f.rn = 1
                                   THEN f.requests ELSE r.request_count END,
              requested_at = CASE WHEN f.attempts < $4 AND n.id IS NULL AND f.rn = 1
                                  THEN f.last_requested_at ELSE r.requested_at END,
              error = left(f.error, 2000),
              not_before = now() + make_interval(secs => $5::double precision / 1000 * power(2, LEAST(f.attempts, 16) - 1)),
              claimed_by = NULL, claim_expires_at = NULL,
              processed_at = CASE WHEN f.attempts >= $4 THEN now() END
         FROM f LEFT JOIN newer n ON n.key = f.key
        WHERE r.id = f.id
        RETURNING r.id, r.status`,
      [
        worker,
        failures.map((f) => f.id),
        failures.map((f) => f.error),
        options.maxAttempts,
        options.backoffMs,
      ],
    );
    return returnedRows<{ id: string; status: RefreshStatus }>(result).map((r) => ({
      id: String(r.id),
      status: r.status,
    }));
  }

  /** A request by id; a merged request answers with the request it folded into. */
  async findById(id: string): Promise<RefreshRequestView | null> {
    if (!/^\d{1,18}$/.test(id)) return null;
    const rows: (RequestRow & { original_id: string })[] = await this.db.query(
      `WITH RECURSIVE chain AS (
         SELECT r.*, 0 AS depth FROM refresh_request r WHERE r.id = $1
         UNION ALL
         SELECT r.*, c.depth + 1 FROM refresh_request r JOIN chain c ON r.id = c.merged_into WHERE c.depth < 20
       )
       SELECT * FROM chain ORDER BY depth DESC LIMIT 1`,
      [id],
    );
    if (rows.length === 0) return null;
    return { ...toView(rows[0]), id };
  }

  /**
   * On-demand entries of one type for Orca's GET: everything still waiting, plus what was
   * processed since `processedSince`. Optionally one key only.
   */
  async listOnDemand(options: {
    type: string;
    key?: string;
    processedSince: Date;
  }): Promise<RefreshRequestView[]> {
    const rows: RequestRow[] = await this.db.query(
      `SELECT * FROM refresh_request
        WHERE type = $1 AND origin = 'on-demand' AND ($2::text IS NULL OR key = $2)
          AND (status IN ('pending', 'claimed') OR (status IN ('succeeded', 'failed') AND processed_at >= $3))
        ORDER BY requested_at DESC
        LIMIT 1000`,
      [options.type, options.key ?? null, options.processedSince],
    );
    return rows.map(toView);
  }

  /** Counts by status, for metrics. */
  async countByStatus(): Promise<Record<string, number>> {
    const rows: { status: string; n: string }[] = await this.db.query(
      `SELECT status, count(*) AS n FROM refresh_request GROUP BY status`,
    );
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  /** When the oldest request still open (pending or claimed) was created; undefined when none is. */
  async oldestOpenCreatedAt(): Promise<Date | undefined> {
    const [row]: { oldest: Date | string | null }[] = await this.db.query(
      `SELECT min(created_at) AS oldest FROM refresh_request WHERE status IN ('pending', 'claimed')`,
    );
    return row?.oldest == null ? undefined : toDate(row.oldest);
  }

  /** Deletes finished requests older than the cutoff, at most `limit` per call. */
  async purgeFinished(olderThan: Date, limit = 10_000): Promise<number> {
    const rows = returnedRows<unknown>(
      await this.db.query(
        `DELETE FROM refresh_request WHERE id IN (
         SELECT id FROM refresh_request
          WHERE status IN ('succeeded', 'failed', 'merged') AND COALESCE(processed_at, created_at) < $1
          LIMIT $2)
       RETURNING id`,
        [olderThan, limit],
      ),
    );
    return rows.length;
  }
}

function mergeByKey(requests: readonly RefreshEnqueue[]) {
  const byKey = new Map<
    string,
    {
      type: string;
      key: string;
      account: string;
      region: string;
      target: unknown;
      origin: RefreshOrigin;
      requested_at: string;
      request_count: number;
      delay_ms: number;
    }
  >();
  for (const r of requests) {
    const existing = byKey.get(r.key);
    if (!existing) {
      byKey.set(r.key, {
        type: r.type,
        key: r.key,
        account: r.account,
        region: r.region,
        target: r.target ?? null,
        origin: r.origin,
        requested_at: r.requestedAt.toISOString(),
        request_count: 1,
        delay_ms: delayOf(r),
      });
      continue;
    }
    existing.request_count += 1;
    existing.delay_ms = Math.min(existing.delay_ms, delayOf(r));
    if (r.requestedAt.toISOString() > existing.requested_at)
      existing.requested_at = r.requestedAt.toISOString();
    if (ORIGIN_RANK[r.origin] > ORIGIN_RANK[existing.origin]) existing.origin = r.origin;
    if (r.target) existing.target = r.target;
  }
  // In key order: concurrent enqueues of overlapping keys lock them in the same order (no deadlock).
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
}

/** The columns an on-demand projection needs, returned by enqueue and complete. */
const PROJECTED_COLUMNS =
  'r.type, r.account, r.region, r.origin, r.requested_at, r.processed_at, r.processed_count';

interface ProjectedRequestRow {
  id: string;
  key: string;
  coalesced?: boolean;
  type: string;
  account: string;
  region: string;
  origin: RefreshOrigin;
  requested_at: Date;
  processed_at: Date | null;
  processed_count: number | null;
}

/** Longest delay a request can be given: a re-check is never parked for longer than this. */
const MAX_DELAY_MS = 3_600_000;

/** The request's delay, within [0, MAX_DELAY_MS]; anything not a positive number is none. */
function delayOf(r: RefreshEnqueue): number {
  const delay = r.delayMs ?? 0;
  return Number.isFinite(delay) && delay > 0 ? Math.min(delay, MAX_DELAY_MS) : 0;
}

interface RequestRow {
  id: string;
  type: string;
  key: string;
  account: string;
  region: string;
  target: Record<string, unknown> | null;
  origin: RefreshOrigin;
  status: RefreshStatus;
  requested_at: Date;
  request_count: number;
  attempts: number;
  claimed_by: string | null;
  processed_at: Date | null;
  processed_count: number | null;
  error: string | null;
  merged_into: string | null;
}

function toView(r: RequestRow): RefreshRequestView {
  return {
    id: String(r.id),
    type: r.type,
    key: r.key,
    account: r.account,
    region: r.region,
    target: r.target,
    origin: r.origin,
    status: r.status,
    requestedAt: toDate(r.requested_at),
    requestCount: r.request_count,
    attempts: r.attempts,
    claimedBy: r.claimed_by,
    processedAt: toDateOrNull(r.processed_at),
    processedCount: r.processed_count,
    error: r.error,
    mergedInto: r.merged_into === null ? null : String(r.merged_into),
  };
}
