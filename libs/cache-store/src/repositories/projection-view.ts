import type { EntityManager } from 'typeorm';
import type { ProjectionSql, ProjectionStoreView, StoredResource } from '../projection.port';
import { returnedRows } from './sql';

/** `ProjectionSql` on a transaction's EntityManager (UPDATE/DELETE answers unwrapped to rows). */
export function projectionSql(tx: EntityManager): ProjectionSql {
  return {
    query: async <T>(sql: string, params?: unknown[]) => returnedRows<T>(await tx.query(sql, params)),
  };
}

type Row = Omit<StoredResource, 'relationships'>;

/** What of a resource is loaded: `fields` of its attributes (all by default), `relationships` types. */
interface ResourceParts {
  fields?: readonly string[];
  relationships?: readonly string[];
}

/**
 * The SELECT expression of `c.attributes` limited to `fields` (given as parameters from
 * `$first` on): all of them when undefined, `{}` for none.
 */
function attributesOf(fields: readonly string[] | undefined, first: number): string {
  if (fields === undefined) return 'c.attributes';
  if (fields.length === 0) return `'{}'::jsonb`;
  const pairs = fields.map((_, i) => `$${i + first}::text, c.attributes -> $${i + first}::text`);
  return `jsonb_strip_nulls(jsonb_build_object(${pairs.join(', ')}))`;
}

/** The order PostgreSQL's `ORDER BY` on these text keys gives (keys are ASCII: byte order). */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The store's state as a projection reads it, on the writing transaction. */
export class TransactionStoreView implements ProjectionStoreView {
  constructor(private readonly sql: ProjectionSql) {}

  async resources(keys: readonly string[], options: ResourceParts = {}): Promise<StoredResource[]> {
    if (keys.length === 0) return [];
    const rows = await this.sql.query<Row>(
      `SELECT c.key, c.type, c.account, c.region, c.application, ${attributesOf(options.fields, 2)} AS attributes
         FROM cached_resource c WHERE c.key = ANY($1::text[]) ORDER BY c.key`,
      [keys, ...(options.fields ?? [])],
    );
    return this.withLinks(rows, options.relationships);
  }

  async linking(
    targets: readonly string[],
    sourceType: string,
    options: ResourceParts = {},
  ): Promise<{ target: string; resource: StoredResource }[]> {
    if (targets.length === 0) return [];
    // Each source once, however many targets it links to (a target group links to every instance
    // of its group: per pair, a page of instances would load each group's attributes ~40 times).
    const rows = await this.sql.query<Row & { targets: string[] }>(
      `SELECT c.key, c.type, c.account, c.region, c.application,
              ${attributesOf(options.fields, 3)} AS attributes,
              l.targets
         FROM (SELECT r.source_key, array_agg(r.target_key ORDER BY r.target_key) AS targets
                 FROM cached_relationship r
                WHERE r.target_key = ANY($1::text[]) AND r.source_type = $2
                GROUP BY r.source_key) AS l
         JOIN cached_resource c ON c.key = l.source_key
        ORDER BY c.key`,
      [targets, sourceType, ...(options.fields ?? [])],
    );
    const resources = await this.withLinks(
      rows.map(({ targets: _targets, ...row }) => row),
      options.relationships ?? [],
    );
    return rows
      .flatMap((row, i) => row.targets.map((target) => ({ target, resource: resources[i] })))
      .sort((a, b) => compareKeys(a.target, b.target) || compareKeys(a.resource.key, b.resource.key));
  }

  async existing(keys: readonly string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const rows = await this.sql.query<{ key: string }>(
      `SELECT key FROM cached_resource WHERE key = ANY($1::text[])`,
      [keys],
    );
    return new Set(rows.map((r) => r.key));
  }

  async linkedFrom(
    targets: readonly string[],
    sourceType: string,
  ): Promise<{ target: string; source: string }[]> {
    if (targets.length === 0) return [];
    return this.sql.query<{ target: string; source: string }>(
      `SELECT target_key AS target, source_key AS source FROM cached_relationship
        WHERE target_key = ANY($1::text[]) AND source_type = $2 ORDER BY target_key, source_key`,
      [targets, sourceType],
    );
  }

  async scan(options: {
    afterKey: string | null;
    limit: number;
    types?: readonly string[];
  }): Promise<StoredResource[]> {
    const rows = await this.sql.query<Row>(
      `SELECT key, type, account, region, application, attributes FROM cached_resource
        WHERE ($1::text IS NULL OR key > $1) AND ($2::text[] IS NULL OR type = ANY($2::text[]))
        ORDER BY key LIMIT $3
          FOR SHARE`,
      [options.afterKey, options.types ?? null, options.limit],
    );
    return this.withLinks(rows);
  }

  /**
   * Adds each row's outgoing relationships (one query for all of them): every type, or only
   * `types` when given (none for an empty list).
   */
  private async withLinks(rows: Row[], types?: readonly string[]): Promise<StoredResource[]> {
    const keys = types?.length === 0 ? [] : [...new Set(rows.map((r) => r.key))];
    const links = new Map<string, Record<string, string[]>>();
    if (keys.length > 0) {
      const found = await this.sql.query<{ source_key: string; target_key: string; target_type: string }>(
        `SELECT source_key, target_key, target_type FROM cached_relationship
          WHERE source_key = ANY($1::text[]) AND ($2::text[] IS NULL OR target_type = ANY($2::text[]))
          ORDER BY source_key, target_type, target_key`,
        [keys, types ?? null],
      );
      for (const link of found) {
        const byType = links.get(link.source_key) ?? {};
        (byType[link.target_type] ??= []).push(link.target_key);
        links.set(link.source_key, byType);
      }
    }
    return rows.map((row) => ({ ...row, relationships: links.get(row.key) ?? {} }));
  }
}
