import { hash, randomUUID } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  CACHE_PROJECTION,
  type CacheProjectionPort,
  type PreviousLink,
  type StoredResource,
} from '../projection.port';
import { projectionSql, TransactionStoreView } from './projection-view';
import type { Queryable } from './queryable';
import { chunk, decodeCursor, encodeCursor, globToLike, returnedRows, toDate } from './sql';

/** A resource as an agent or refresher read it from AWS. */
export interface ResourceRecord {
  key: string;
  type: string;
  account?: string | null;
  region?: string | null;
  application?: string | null;
  attributes: Record<string, unknown>;
  /** Outgoing relationships: related type -> keys (e.g. `{ instances: [...] }` on a server group). */
  relationships?: Record<string, string[]>;
}

export interface WriteOptions {
  /** When the AWS read that produced these records started. */
  fetchedAt: Date;
  /** The agent that owns these keys (eviction scope). */
  agent?: string | null;
  /**
   * Also move `fetchedAt` forward on unchanged rows. Targeted refreshes pass true so a slower, older
   * read cannot replace what they just confirmed; bulk agent runs leave it off to keep unchanged
   * rewrites nearly free.
   */
  touchUnchanged?: boolean;
  /**
   * The agent run these records are a page of: every row of the page is marked as seen by it,
   * unchanged rows included (in the statement that compares them), so `completeAgentRun` can evict
   * what no page of the run returned without the run's keys in memory.
   */
  run?: string;
}

export interface WriteResult {
  /** Keys inserted or changed. */
  written: string[];
  unchanged: number;
  /** Records not written because the stored row came from a read that started later. */
  stale: number;
}

/** One page of a caching agent's run. */
export interface AgentPage {
  agent: string;
  /** The run's id (a UUID), the same for all its pages. */
  run: string;
  /** When the run's read started: every page of the run is written as of it. */
  fetchedAt: Date;
  resources: readonly ResourceRecord[];
}

/** The end of a complete run. */
export interface AgentRunCompletion {
  agent: string;
  run: string;
  /** The types this agent is authoritative for: only these are evicted. */
  authoritativeTypes: readonly string[];
  fetchedAt: Date;
}

export interface AgentResult extends WriteOptions {
  agent: string;
  /** The types this agent is authoritative for: only these are evicted. */
  authoritativeTypes: string[];
  resources: ResourceRecord[];
  /** The run read everything it is authoritative for; only a complete run evicts. */
  complete: boolean;
  /** A complete run that found nothing evicts nothing unless this is set. */
  evictWhenEmpty?: boolean;
}

export interface CachedResourceView {
  key: string;
  type: string;
  account: string | null;
  region: string | null;
  application: string | null;
  agent: string | null;
  attributes: Record<string, unknown>;
  fetchedAt: Date;
  changedAt: Date;
  /** Both directions: what this resource points at and what points at it, by type. */
  relationships: Record<string, string[]>;
}

export interface ResourceQuery {
  type: string;
  account?: string;
  region?: string;
  application?: string;
  /** Glob on the key, `*` matching anything (e.g. `aws:instances:prod:us-east-1:*`). */
  keyGlob?: string;
  limit?: number;
  cursor?: string;
}

export interface ResourcePage {
  items: CachedResourceView[];
  nextCursor: string | null;
}

const WRITE_BATCH = 2_500;
const WRITE_CONCURRENCY = 2;
const MAX_PAGE = 1_000;

interface Prepared {
  key: string;
  /** The attributes as JSON text, serialized once for both the hash and the write. */
  attributes: string;
  hash: string;
  record: ResourceRecord;
}

/**
 * The end of an eviction statement over the candidates of its CTE `candidates` (`key`, `region`):
 * CTEs `gone` (the cached rows deleted) and `links` (their outgoing relationships, deleted too),
 * then one row per evicted key and per deleted relationship (see `evicting`). Rows without a region (clusters, applications: one key for every region of an
 * account) are written by each region's agent, and the last writer owns them: such a row stays
 * while anything that stays relates to it (its next writer takes it over).
 */
export function evictionSql(candidates: string): string {
  return `gone AS (
         DELETE FROM cached_resource c USING ${candidates} m
          WHERE c.key = m.key
            AND (m.region IS NOT NULL OR NOT EXISTS (
                  SELECT 1 FROM cached_relationship r
                   WHERE r.target_key = m.key
                     AND NOT EXISTS (SELECT 1 FROM ${candidates} o WHERE o.key = r.source_key)
                     AND EXISTS (SELECT 1 FROM cached_resource s WHERE s.key = r.source_key)))
          RETURNING c.key
       ), ${DELETE_LINKS_OF_GONE}`;
}

/**
 * The cache: batch upserts that skip unchanged bodies and never let an older read replace a
 * newer one, authoritative eviction, and reads by key, scope and glob with relationships.
 */
@Injectable()
export class CachedResourceRepository {
  constructor(
    @Inject(DataSource) private readonly db: Queryable,
    /** Kept in step with every write and eviction, in the same transaction. */
    @Optional() @Inject(CACHE_PROJECTION) private readonly projection: CacheProjectionPort | null = null,
  ) {}

  /** Upserts records in batches (a constant number of statements per batch). */
  async write(records: readonly ResourceRecord[], options: WriteOptions): Promise<WriteResult> {
    const result: WriteResult = { written: [], unchanged: 0, stale: 0 };
    // Batches hold distinct keys, so on the pool two of them can be in flight at once: one is
    // serialized here while PostgreSQL stores the other. Inside a transaction they run in turn.
    const concurrency = this.db instanceof DataSource ? WRITE_CONCURRENCY : 1;
    const batches = chunk(lastPerKey(records), WRITE_BATCH);
    await forEachConcurrently(batches, concurrency, async (batch) => {
      const r = await this.writeBatch(prepare(batch), options);
      result.written.push(...r.written);
      result.unchanged += r.unchanged;
      result.stale += r.stale;
    });
    return result;
  }

  /**
   * Writes one page of a caching agent's run as of the run's read start (never over a row from a
   * newer read) and marks every row of it as seen by the run, unchanged rows included.
   */
  async writeAgentPage(page: AgentPage): Promise<WriteResult> {
    return this.write(page.resources, { fetchedAt: page.fetchedAt, agent: page.agent, run: page.run });
  }

  /**
   * Ends a complete run: evicts, in one statement, the agent's rows of its authoritative types
   * that no page of the run marked, unless a read that started after the run wrote them. A run
   * that stopped part-way never calls this: its pages stay and nothing is evicted.
   */
  async completeAgentRun(run: AgentRunCompletion): Promise<{ evicted: string[] }> {
    const evicted = await this.evicting(
      `WITH missing AS (
         SELECT c.key, c.region FROM cached_resource c
          WHERE c.agent = $1 AND c.type = ANY($2::text[]) AND c.fetched_at <= $3
            AND c.seen_by_run IS DISTINCT FROM $4::uuid
       ), ${evictionSql('missing')}`,
      [run.agent, run.authoritativeTypes, run.fetchedAt, run.run],
    );
    return { evicted };
  }

  /**
   * Writes a caching agent's whole run as one page. After a complete run, the agent's rows of its
   * authoritative types that the run did not return are evicted, unless a read that started after
   * this run wrote them. A failed (incomplete) or empty run evicts nothing unless told so explicitly.
   */
  async writeAgentResult(run: AgentResult): Promise<WriteResult & { evicted: string[] }> {
    const id = randomUUID();
    const written = await this.write(run.resources, { ...run, agent: run.agent, run: id });
    const mayEvict = run.complete && (run.resources.length > 0 || run.evictWhenEmpty === true);
    const { evicted } = mayEvict
      ? await this.completeAgentRun({ ...run, run: id })
      : { evicted: [] as string[] };
    return { ...written, evicted };
  }

  /**
   * Evicts keys AWS says no longer exist, as of a read that started at `fetchedAt`: a row written
   * from a later read stays.
   */
  async evict(keys: readonly string[], fetchedAt: Date): Promise<string[]> {
    if (keys.length === 0) return [];
    return this.evicting(
      `WITH gone AS (
         DELETE FROM cached_resource WHERE key = ANY($1::text[]) AND fetched_at <= $2 RETURNING key
       ), ${DELETE_LINKS_OF_GONE}`,
      [keys, fetchedAt],
    );
  }

  /**
   * Applies the instance states events carried, without reading AWS: `terminated` evicts the
   * instance (the agents do not cache terminated instances), any other state replaces its
   * `state`. Each only where the cached row came from a read that started before the event's time,
   * so an older event never overwrites a newer read; of several changes to one instance the latest
   * counts. `unresolved` lists what only a read can settle: a state for an instance not cached, and
   * a row read within `EVENT_TIME_RESOLUTION_MS` after the event's time (EventBridge times are whole
   * seconds: that read may have started before the change or after it).
   */
  async applyInstanceStates(
    changes: readonly CarriedInstanceState[],
  ): Promise<{ evicted: string[]; patched: string[]; unresolved: string[] }> {
    if (changes.length === 0) return { evicted: [], patched: [], unresolved: [] };
    const apply = (db: Queryable) => this.applyStates(db, [...latestPerKey(changes).values()]);
    return this.db instanceof DataSource ? this.db.transaction(apply) : apply(this.db);
  }

  private async applyStates(
    db: Queryable,
    changes: CarriedInstanceState[],
  ): Promise<{ evicted: string[]; patched: string[]; unresolved: string[] }> {
    // Locked in key order, as every writer locks rows.
    const rows: ResourceRow[] = await db.query(
      `SELECT ${COLUMNS} FROM cached_resource
        WHERE key = ANY($1::text[]) AND type = 'instances' ORDER BY key FOR UPDATE`,
      [changes.map((c) => c.key).sort()],
    );
    const found = new Map(rows.map((r) => [r.key, r]));
    const unresolved: string[] = [];
    const due: CarriedInstanceState[] = [];
    for (const change of changes) {
      const row = found.get(change.key);
      const readAt = row === undefined ? undefined : toDate(row.fetched_at).getTime();
      const at = change.at.getTime();
      if (readAt === undefined) {
        if (change.state !== 'terminated') unresolved.push(change.key);
      } else if (readAt <= at) due.push(change);
      else if (readAt < at + EVENT_TIME_RESOLUTION_MS) unresolved.push(change.key);
    }
    const ends = due.filter((c) => c.state === 'terminated');
    const evicted =
      ends.length === 0
        ? []
        : await this.evicting(
            `WITH gone AS (
               DELETE FROM cached_resource c USING unnest($1::text[], $2::timestamptz[]) AS t(key, at)
                WHERE c.key = t.key AND c.type = 'instances' AND c.fetched_at <= t.at
                RETURNING c.key
             ), ${DELETE_LINKS_OF_GONE}`,
            [ends.map((c) => c.key), ends.map((c) => c.at)],
            db,
          );
    const patched = await this.patchStates(
      db,
      due.filter((c) => c.state !== 'terminated'),
      found,
    );
    return { evicted, patched, unresolved };
  }

  /** Replaces the `state` of cached instances (rows locked by the caller), and projects them. */
  private async patchStates(
    db: Queryable,
    patches: CarriedInstanceState[],
    rows: Map<string, ResourceRow>,
  ): Promise<string[]> {
    if (patches.length === 0) return [];
    const links: { key: string; target: string; type: string }[] = await db.query(
      `SELECT source_key AS key, target_key AS target, target_type AS type
         FROM cached_relationship WHERE source_key = ANY($1::text[]) ORDER BY 1, 3, 2`,
      [patches.map((c) => c.key)],
    );
    const outgoing = new Map<string, Record<string, string[]>>();
    for (const link of links) {
      const byType = outgoing.get(link.key) ?? {};
      outgoing.set(link.key, byType);
      (byType[link.type] ??= []).push(link.target);
    }
    const at = new Map(patches.map((c) => [c.key, c.at.toISOString()]));
    const prepared = prepare(
      patches.map((c) => {
        const row = rows.get(c.key)!;
        return {
          key: row.key,
          type: row.type,
          account: row.account,
          region: row.region,
          application: row.application,
          attributes: { ...row.attributes, state: { code: EC2_STATE_CODES[c.state], name: c.state } },
          relationships: outgoing.get(row.key) ?? {},
        };
      }),
    );
    const document = prepared.map(
      (p) =>
        `{"key":${JSON.stringify(p.key)},"hash":"${p.hash}","at":"${at.get(p.key)}","attributes":${p.attributes}}`,
    );
    const updated = returnedRows<{ key: string }>(
      await db.query(
        `UPDATE cached_resource c
            SET attributes = r.attributes, body_hash = r.hash, fetched_at = r.at,
                changed_at = CASE WHEN c.body_hash = r.hash THEN c.changed_at ELSE r.at END
           FROM jsonb_to_recordset($1::jsonb) AS r(key text, hash text, attributes jsonb, at timestamptz)
          WHERE c.key = r.key AND c.fetched_at <= r.at
          RETURNING c.key`,
        [`[${document.join(',')}]`],
      ),
    );
    const patched = new Set(updated.map((r) => r.key));
    await this.project(db as EntityManager, {
      written: prepared.filter((p) => patched.has(p.key)).map((p) => storedResource(p.record)),
      evicted: [],
      previousLinks: [],
    });
    return [...patched];
  }

  /** Evicts every row the given agents own, with their relationships (agents retired from the config). */
  async evictOwnedBy(agents: readonly string[]): Promise<string[]> {
    if (agents.length === 0) return [];
    return this.evicting(
      `WITH owned AS (
         SELECT key, region FROM cached_resource WHERE agent = ANY($1::text[])
       ), ${evictionSql('owned')}`,
      [agents],
    );
  }

  async findByKey(key: string): Promise<CachedResourceView | null> {
    const [found] = await this.findByKeys([key]);
    return found ?? null;
  }

  /**
   * One attribute of a cached resource and when the read it came from started, without its
   * relationships: `path` leads into its attributes (`['asg', 'status']`). Undefined when the key
   * is not cached; `value` is null when the resource has no such attribute.
   */
  async attributeOf(
    key: string,
    path: readonly string[],
  ): Promise<{ value: unknown; fetchedAt: Date } | undefined> {
    const rows: { value: unknown; fetched_at: Date | string }[] = await this.db.query(
      `SELECT attributes #> $2::text[] AS value, fetched_at FROM cached_resource WHERE key = $1`,
      [key, path],
    );
    return rows.length === 0
      ? undefined
      : { value: rows[0].value ?? null, fetchedAt: toDate(rows[0].fetched_at) };
  }

  async findByKeys(keys: readonly string[]): Promise<CachedResourceView[]> {
    if (keys.length === 0) return [];
    const rows: ResourceRow[] = await this.db.query(
      `SELECT ${COLUMNS} FROM cached_resource WHERE key = ANY($1::text[]) ORDER BY key`,
      [keys],
    );
    return this.withRelationships(rows);
  }

  /** A page of one type, filtered by account/region/application and key glob, in key order. */
  async list(query: ResourceQuery): Promise<ResourcePage> {
    const limit = Math.min(Math.max(query.limit ?? 100, 1), MAX_PAGE);
    const params: unknown[] = [query.type];
    const where = ['type = $1'];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (query.account !== undefined) add('account = ?', query.account);
    if (query.region !== undefined) add('region = ?', query.region);
    if (query.application !== undefined) add('application = ?', query.application);
    if (query.keyGlob !== undefined) add(`key LIKE ? ESCAPE '\\'`, globToLike(query.keyGlob));
    if (query.cursor !== undefined) {
      const after = decodeResourceCursor(query.cursor);
      if (after === undefined)
        throw new TypeError('ResourceQuery.cursor: not a nextCursor (see decodeResourceCursor)');
      add('key > ?', after);
    }
    params.push(limit + 1);
    const rows: ResourceRow[] = await this.db.query(
      `SELECT ${COLUMNS} FROM cached_resource WHERE ${where.join(' AND ')} ORDER BY key LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, limit);
    return {
      items: await this.withRelationships(page),
      nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].key) : null,
    };
  }

  /** Relationships of many keys at once, both directions, grouped by related type. */
  async relationshipsOf(keys: readonly string[]): Promise<Map<string, Record<string, string[]>>> {
    const out = new Map<string, Record<string, string[]>>(keys.map((k) => [k, {}]));
    if (keys.length === 0) return out;
    const rows: { key: string; related: string; related_type: string }[] = await this.db.query(
      `SELECT source_key AS key, target_key AS related, target_type AS related_type
         FROM cached_relationship WHERE source_key = ANY($1::text[])
       UNION
       SELECT target_key, source_key, source_type
         FROM cached_relationship WHERE target_key = ANY($1::text[])
       ORDER BY 1, 3, 2`,
      [keys],
    );
    for (const row of rows) {
      const byType = out.get(row.key);
      if (byType) (byType[row.related_type] ??= []).push(row.related);
    }
    return out;
  }

  private async writeBatch(unsorted: Prepared[], options: WriteOptions): Promise<WriteResult> {
    const { fetchedAt } = options;
    // In key order: every writer locks rows in the same order, so writers whose batches overlap
    // (a full scan and a burst of targeted refreshes) wait for each other instead of deadlocking.
    const batch = unsorted.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const keys = batch.map((p) => p.key);
    const hashes = batch.map((p) => p.hash);
    // 1. Classify against what is stored, sending keys and hashes only: unchanged bodies never
    //    travel to the server, and nothing is written for them but, in an agent run's page, the
    //    run's mark (in the same statement: the rows it marks are the ones it finds unchanged).
    const classified: { key: string; state: 'new' | 'changed' | 'stale' }[] = await this.db.query(
      `WITH t AS (SELECT * FROM unnest($1::text[], $2::text[]) AS t(key, hash)),
       seen AS (
         UPDATE cached_resource c SET seen_by_run = $5::uuid
           FROM t
          WHERE $5::uuid IS NOT NULL AND c.key = t.key AND c.body_hash = t.hash
            AND c.fetched_at <= $3 AND c.agent = $4 AND c.seen_by_run IS DISTINCT FROM $5::uuid
       )
       SELECT t.key,
              CASE WHEN c.key IS NULL THEN 'new' WHEN c.fetched_at > $3 THEN 'stale' ELSE 'changed' END AS state
         FROM t
         LEFT JOIN cached_resource c ON c.key = t.key
        WHERE c.key IS NULL OR c.body_hash <> t.hash OR c.fetched_at > $3
           OR ($4::text IS NOT NULL AND c.agent IS DISTINCT FROM $4)`,
      [keys, hashes, fetchedAt, options.agent ?? null, options.run ?? null],
    );
    const stale = classified.filter((c) => c.state === 'stale').length;
    const toWrite = new Set(classified.filter((c) => c.state !== 'stale').map((c) => c.key));
    const changed = batch.filter((p) => toWrite.has(p.key));

    if (options.touchUnchanged) {
      await this.db.query(
        `UPDATE cached_resource c SET fetched_at = $3
           FROM unnest($1::text[], $2::text[]) AS t(key, hash)
          WHERE c.key = t.key AND c.body_hash = t.hash AND c.fetched_at < $3`,
        [keys, hashes, fetchedAt],
      );
    }
    if (changed.length === 0) return { written: [], unchanged: batch.length - classified.length, stale };

    // 2. Upsert the changed bodies and replace their outgoing relationships, atomically. The
    //    conflict clause re-checks freshness and hash, so a concurrent writer cannot be overtaken.
    const written = await this.db.transaction(async (tx) => {
      const rows: { key: string; created: boolean }[] = await tx.query(
        `INSERT INTO cached_resource AS c
                (key, type, account, region, application, agent, attributes, body_hash, fetched_at, changed_at,
                 seen_by_run)
         SELECT r.key, r.type, r.account, r.region, r.application, $2, r.attributes, r.hash, $3, $3, $4::uuid
           FROM jsonb_to_recordset($1::jsonb)
             AS r(key text, type text, account text, region text, application text, attributes jsonb, hash text)
         ON CONFLICT (key) DO UPDATE
            SET type = excluded.type, account = excluded.account, region = excluded.region,
                application = excluded.application, agent = COALESCE(excluded.agent, c.agent),
                attributes = excluded.attributes, body_hash = excluded.body_hash,
                fetched_at = excluded.fetched_at,
                changed_at = CASE WHEN c.body_hash = excluded.body_hash THEN c.changed_at ELSE excluded.changed_at END,
                seen_by_run = COALESCE(excluded.seen_by_run, c.seen_by_run)
          WHERE c.fetched_at <= excluded.fetched_at
            AND (c.body_hash <> excluded.body_hash OR c.agent IS DISTINCT FROM COALESCE(excluded.agent, c.agent)
                 OR c.seen_by_run IS DISTINCT FROM COALESCE(excluded.seen_by_run, c.seen_by_run))
         RETURNING c.key, (c.xmax = 0) AS created`,
        [`[${changed.map(rowJson).join(',')}]`, options.agent ?? null, fetchedAt, options.run ?? null],
      );
      const writtenKeys = new Set(rows.map((r) => r.key));
      const created = new Set(rows.filter((r) => r.created).map((r) => r.key));
      const previousLinks = await this.replaceRelationships(tx.query.bind(tx) as Query, changed, writtenKeys);
      await this.project(tx, {
        written: changed
          .filter((p) => writtenKeys.has(p.key))
          .map((p) => ({ ...storedResource(p.record), created: created.has(p.key) })),
        evicted: [],
        previousLinks,
      });
      return rows.map((r) => r.key);
    });
    return {
      written,
      unchanged: batch.length - classified.length,
      stale: stale + changed.length - written.length,
    };
  }

  /** Replaces the outgoing relationships of the written keys; returns the ones they had. */
  private async replaceRelationships(
    query: Query,
    changed: Prepared[],
    written: Set<string>,
  ): Promise<PreviousLink[]> {
    const source: string[] = [];
    const target: string[] = [];
    const sourceType: string[] = [];
    const targetType: string[] = [];
    for (const p of changed) {
      if (!written.has(p.key)) continue;
      for (const [type, keys] of Object.entries(p.record.relationships ?? {})) {
        for (const key of keys) {
          source.push(p.key);
          target.push(key);
          sourceType.push(p.record.type);
          targetType.push(type);
        }
      }
    }
    const previous = returnedRows<{ source_key: string; target_key: string; target_type: string }>(
      await query(
        `DELETE FROM cached_relationship WHERE source_key = ANY($1::text[])
         RETURNING source_key, target_key, target_type`,
        [[...written]],
      ),
    ).map((r) => ({ source: r.source_key, target: r.target_key, targetType: r.target_type }));
    if (source.length > 0) {
      await query(
        `INSERT INTO cached_relationship (source_key, target_key, source_type, target_type)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
       ON CONFLICT DO NOTHING`,
        [source, target, sourceType, targetType],
      );
    }
    return previous;
  }

  /**
   * Runs one eviction statement (its CTE "gone" deletes resources, "links" their outgoing
   * relationships) and, with a projection, projects it in the same transaction.
   */
  private async evicting(statement: string, params: unknown[], inTransaction?: Queryable): Promise<string[]> {
    const run = async (db: Queryable) => {
      const rows: {
        kind: 'gone' | 'link';
        source: string;
        target: string | null;
        target_type: string | null;
      }[] = await db.query(statement, params);
      const evicted = rows.filter((r) => r.kind === 'gone').map((r) => r.source);
      if (this.projection && evicted.length > 0) {
        await this.project(db as EntityManager, {
          written: [],
          evicted,
          previousLinks: rows
            .filter((r) => r.kind === 'link')
            .map((r) => ({ source: r.source, target: r.target ?? '', targetType: r.target_type ?? '' })),
        });
      }
      return evicted;
    };
    if (inTransaction) return run(inTransaction);
    return this.projection ? this.db.transaction((tx) => run(tx)) : run(this.db);
  }

  private async project(
    tx: EntityManager,
    change: { written: StoredResource[]; evicted: string[]; previousLinks: PreviousLink[] },
  ): Promise<void> {
    if (!this.projection) return;
    const sql = projectionSql(tx);
    await this.projection.apply(change, { sql, view: new TransactionStoreView(sql) });
  }

  private async withRelationships(rows: ResourceRow[]): Promise<CachedResourceView[]> {
    const relationships = await this.relationshipsOf(rows.map((r) => r.key));
    return rows.map((r) => ({
      key: r.key,
      type: r.type,
      account: r.account,
      region: r.region,
      application: r.application,
      agent: r.agent,
      attributes: r.attributes,
      fetchedAt: toDate(r.fetched_at),
      changedAt: toDate(r.changed_at),
      relationships: relationships.get(r.key) ?? {},
    }));
  }
}

type Query = (sql: string, params?: unknown[]) => Promise<unknown>;

/**
 * The tail of every eviction statement: deletes the outgoing relationships of the resources its
 * "gone" CTE deleted and answers one row per evicted key and per deleted relationship.
 */
const DELETE_LINKS_OF_GONE = `links AS (
         DELETE FROM cached_relationship WHERE source_key IN (SELECT key FROM gone)
         RETURNING source_key, target_key, target_type
       )
       SELECT 'gone' AS kind, key AS source, NULL AS target, NULL AS target_type FROM gone
       UNION ALL
       SELECT 'link', source_key, target_key, target_type FROM links`;

function storedResource(record: ResourceRecord): StoredResource {
  return {
    key: record.key,
    type: record.type,
    account: record.account ?? null,
    region: record.region ?? null,
    application: record.application ?? null,
    attributes: record.attributes,
    relationships: record.relationships ?? {},
  };
}

const COLUMNS = 'key, type, account, region, application, agent, attributes, fetched_at, changed_at';

/** An EC2 instance state an event carried, as of the event's time. */
export interface CarriedInstanceState {
  key: string;
  state: 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';
  at: Date;
}

/** EventBridge event times are whole seconds. */
const EVENT_TIME_RESOLUTION_MS = 1_000;

/** EC2's state codes (`InstanceState.Code`). */
const EC2_STATE_CODES: Record<CarriedInstanceState['state'], number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

/** The latest change of each key (the later one of two at the same time). */
function latestPerKey(changes: readonly CarriedInstanceState[]): Map<string, CarriedInstanceState> {
  const out = new Map<string, CarriedInstanceState>();
  for (const change of changes) {
    const seen = out.get(change.key);
    if (seen === undefined || seen.at <= change.at) out.set(change.key, change);
  }
  return out;
}

interface ResourceRow {
  key: string;
  type: string;
  account: string | null;
  region: string | null;
  application: string | null;
  agent: string | null;
  attributes: Record<string, unknown>;
  fetched_at: Date;
  changed_at: Date;
}

/** The last record of each key wins within one call. */
function lastPerKey(records: readonly ResourceRecord[]): ResourceRecord[] {
  const byKey = new Map<string, ResourceRecord>();
  for (const record of records) {
    byKey.delete(record.key);
    byKey.set(record.key, record);
  }
  return [...byKey.values()];
}

async function forEachConcurrently<T>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/**
 * Serializes and hashes each record's body once. One-shot `crypto.hash` matters: a hasher object
 * per row cost more than the serialization in unchanged rewrites (SHA-1 is hardware-accelerated
 * where MD5 is not; the hash only detects change).
 */
function prepare(records: readonly ResourceRecord[]): Prepared[] {
  return records.map((record) => {
    const attributes = JSON.stringify(record.attributes);
    const body = record.relationships
      ? `${attributes}\n${relationshipsText(record.relationships)}`
      : attributes;
    return { key: record.key, attributes, hash: hash('sha1', body, 'base64'), record };
  });
}

/** One row of the JSON document sent for changed records; embeds the already-serialized body. */
function rowJson(p: Prepared): string {
  const r = p.record;
  return (
    `{"key":${JSON.stringify(r.key)},"type":${JSON.stringify(r.type)},` +
    `"account":${JSON.stringify(r.account ?? null)},"region":${JSON.stringify(r.region ?? null)},` +
    `"application":${JSON.stringify(r.application ?? null)},"hash":"${p.hash}","attributes":${p.attributes}}`
  );
}

/** Relationships in a canonical order, so the same links always hash the same. */
function relationshipsText(relationships: Record<string, string[]>): string {
  const types = Object.keys(relationships);
  // The common case (an instance's one server group) needs no sorting or de-duplication.
  if (types.length === 1 && relationships[types[0]].length <= 1) {
    return `${types[0]}\t${relationships[types[0]][0] ?? ''}`;
  }
  return types
    .sort()
    .map((type) => `${type}\t${[...new Set(relationships[type])].sort().join('\t')}`)
    .join('\n');
}

/**
 * The key a `nextCursor` of `list` resumes after, or undefined when it is not one (a client's
 * typo or tampering): callers check a cursor they were given before listing with it.
 */
export function decodeResourceCursor(cursor: string): string | undefined {
  return decodeCursor(cursor);
}
