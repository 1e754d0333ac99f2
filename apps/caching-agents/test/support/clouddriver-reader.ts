import type { SqlNames } from '@event-cache/clouddriver-projection';

/**
 * Clouddriver's reads of its SQL cache (cats-sql `SqlCache`, as the AWS providers reach it through
 * `CompositeCache` over the one `SqlProviderCache`), replayed on PostgreSQL with the same SQL and
 * the same merging, so a test sees exactly what an unmodified Clouddriver would hand its readers.
 * Sources: clouddriver `cats/cats-sql/.../cache/SqlCache.kt` (getAll 240-285, getAllByApplication
 * 297-351, filterIdentifiers 445-494, getDataWithRelationshipsByApp 1104-1175,
 * selectBodiesWithRelationships 1298-1330, mergeDataAndRelationships 1365-1455, getRelWhere
 * 1473-1489), `cats-core/.../CompositeCache.java`, `DefaultJsonCacheData` / `DefaultCacheData`.
 */

/** A cats `CacheData` as Clouddriver's readers receive it (Jackson's untyped maps and lists). */
export interface CacheData {
  id: string;
  ttlSeconds: number;
  attributes: Record<string, unknown>;
  /** May be null: `DefaultCacheData` keeps what the body says. */
  relationships: Record<string, (string | null)[]>;
}

/** `RelationshipCacheFilter` (null means no filter: "ALL", body and every `_rel` row). */
export interface CacheFilter {
  readonly allowableRelationshipPrefixes: readonly string[];
}
export const RelationshipCacheFilter = {
  none: (): CacheFilter => ({ allowableRelationshipPrefixes: [] }),
  include: (...prefixes: string[]): CacheFilter => ({ allowableRelationshipPrefixes: prefixes }),
};

/**
 * An exception the JVM would raise where Clouddriver dereferences what we wrote (the class named as
 * Java names it): the HTTP request that made the read fails with a 500.
 */
export class ClouddriverException extends Error {
  constructor(
    readonly exception:
      | 'NullPointerException'
      | 'ClassCastException'
      | 'GroovyCastException'
      | 'MismatchedInputException'
      | 'NumberFormatException',
    message: string,
  ) {
    super(message);
    this.name = exception;
  }
}

/** Something SqlCache logs and swallows (its read then returns nothing, or skips the row). */
export interface SuppressedError {
  where: string;
  message: string;
}

/** SqlCache's `sql.cache.read-batch-size` default. */
const READ_BATCH_SIZE = 500;
/** `useRegexp` and `cleanRegexp` of SqlCache's companion object. */
const USE_REGEXP = /^.*[?[].*$/s;
const CLEAN_REGEXP = /\.+\*/g;
const INT_MAX = 2 ** 31 - 1;
const INT_MIN = -(2 ** 31);

interface RelPointer {
  id: string;
  rel_id: string;
  rel_type: string;
}

interface Row {
  body: string | null;
  id: string | null;
  rel_id: string | null;
  rel_type: string | null;
}

export interface ClouddriverReaderOptions {
  /**
   * The order in which rows of one id (several agents) are merged: SqlCache has no ORDER BY, so
   * "first row wins" may pick either. `reversed` replays the other order PostgreSQL could return.
   */
  rowOrder?: 'as-returned' | 'reversed';
  /** Clouddriver's clock (`DefaultCacheData` turns `ttlSeconds` into `cacheExpiry`). */
  now?: () => number;
  /**
   * The GROUP BY of SqlCache's app-wide relationship query. `as-rendered` is what jOOQ sends,
   * `GROUP BY rel_id, id, rel_type`: PostgreSQL rejects it (`column reference "id" is ambiguous`,
   * `r.id` or `rel.id`), SqlCache swallows the error and the read returns nothing. `qualified` is
   * how MySQL resolves the same names (the select list's aliases: `rel.rel_id, rel.id,
   * rel.rel_type`), the query Clouddriver means.
   */
  appModeGroupBy?: 'as-rendered' | 'qualified';
}

/**
 * A read-only Clouddriver cache view over the projected tables. Errors SqlCache swallows are kept
 * in `suppressed` (a test asserts it stays empty); what the JVM would throw is thrown as a
 * `ClouddriverException`.
 */
export class ClouddriverReader {
  readonly suppressed: SuppressedError[] = [];
  private readonly rowOrder: 'as-returned' | 'reversed';
  private readonly now: () => number;
  private readonly appModeGroupBy: 'as-rendered' | 'qualified';

  constructor(
    private readonly db: { sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]> },
    private readonly names: SqlNames,
    options: ClouddriverReaderOptions = {},
  ) {
    this.rowOrder = options.rowOrder ?? 'as-returned';
    this.now = options.now ?? Date.now;
    this.appModeGroupBy = options.appModeGroupBy ?? 'as-rendered';
  }

  /** `Cache.get` (CompositeCache over one SqlCache: relationships come back as sets, per key). */
  async get(type: string, id: string, filter: CacheFilter | null = null): Promise<CacheData | null> {
    const [found] = await this.sqlGetAll(type, [id], filter);
    if (found === undefined) return null;
    // CompositeCache.get merges even a single element: new maps, each relationship a HashSet.
    const relationships: Record<string, (string | null)[]> = {};
    for (const [key, values] of Object.entries(relationshipsOf(found, 'CompositeCache.merge'))) {
      relationships[key] = [...new Set(values)];
    }
    return { id: found.id, ttlSeconds: -1, attributes: { ...found.attributes }, relationships };
  }

  /** `Cache.getAll(type, ids, filter)`; no ids means every row of the type (`getAll(type, filter)`). */
  async getAll(
    type: string,
    ids: Iterable<string | null> | undefined,
    filter: CacheFilter | null = null,
  ): Promise<CacheData[]> {
    return this.sqlGetAll(type, ids === undefined ? undefined : [...ids], filter);
  }

  /** `Cache.getAllByApplication(types, application, filters)`: one query per type on `application = ?`. */
  async getAllByApplication(
    types: readonly string[],
    application: string,
    filters: Readonly<Record<string, CacheFilter>>,
  ): Promise<Record<string, CacheData[]>> {
    const result: Record<string, CacheData[]> = {};
    for (const type of types) {
      const prefixes = prefixesOf(filters[type] ?? null);
      const rows =
        prefixes.length === 0
          ? await this.select(
              `getDataWithoutRelationshipsByApp(${type})`,
              `select body from ${this.table(type)} where application = $1`,
              [application],
            )
          : await this.select(
              `getDataWithRelationshipsByApp(${type})`,
              // jOOQ's rendering of SqlCache.getDataWithRelationshipsByApp for PostgreSQL.
              `select body as "body", null as "id", null as "rel_id", null as "rel_type"
                 from ${this.table(type)} where application = $1
               union all
               select null as "body", rel.id as "id", rel.rel_id as "rel_id", rel.rel_type as "rel_type"
                 from ${this.table(type)} as "r" join ${this.relTable(type)} as "rel" on rel.id=r.id
                ${relWhere(prefixes, 'r.application = $2', 3)}
                group by ${this.appModeGroupBy === 'as-rendered' ? 'rel_id, id, rel_type' : 'rel.rel_id, rel.id, rel.rel_type'}`,
              [application, application, ...likePatterns(prefixes)],
            );
      const { data, pointers } = this.parse(type, rows ?? [], prefixes.length > 0);
      result[type] = data === undefined ? [] : mergeDataAndRelationships(data, pointers, prefixes);
    }
    return result;
  }

  /** `Cache.filterIdentifiers(type, glob)`: LIKE with `*` -> `%` and `_` escaped, or a regex for `?` / `[`. */
  async filterIdentifiers(type: string, glob: string): Promise<string[]> {
    const regex = USE_REGEXP.test(glob);
    const rows = regex
      ? await this.select(
          `filterIdentifiers(${type}, ${glob})`,
          `select id from ${this.table(type)} where id ~ $1`,
          [`^${glob.replaceAll('?', '.').replaceAll('*', '.*').replace(CLEAN_REGEXP, '.*')}$`],
        )
      : await this.select(
          `filterIdentifiers(${type}, ${glob})`,
          `select id from ${this.table(type)} where id like $1`,
          [glob.replaceAll('*', '%').replaceAll('_', '\\_')],
        );
    return [...new Set((rows ?? []).map((r) => String(r.id)))];
  }

  /** `Cache.getIdentifiers(type)`. */
  async getIdentifiers(type: string): Promise<string[]> {
    const rows = await this.select(`getIdentifiers(${type})`, `select id from ${this.table(type)}`, []);
    return [...new Set((rows ?? []).map((r) => String(r.id)))];
  }

  private async sqlGetAll(
    type: string,
    ids: (string | null)[] | undefined,
    filter: CacheFilter | null,
  ): Promise<CacheData[]> {
    if (ids !== undefined && ids.length === 0) return [];
    const prefixes = prefixesOf(filter);
    const rows: Row[] = [];
    const chunks = ids === undefined ? [undefined] : chunk(ids, READ_BATCH_SIZE);
    for (const part of chunks) {
      const found =
        prefixes.length === 0
          ? await this.selectBodies(type, part)
          : await this.selectBodiesWithRelationships(type, prefixes, part);
      // Any failure makes SqlCache's whole read return nothing (one try around every chunk).
      if (found === undefined) return [];
      rows.push(...found);
    }
    const { data, pointers } = this.parse(type, rows, prefixes.length > 0);
    if (data === undefined) return [];
    return mergeDataAndRelationships(data, pointers, prefixes);
  }

  private selectBodies(type: string, ids: (string | null)[] | undefined): Promise<Row[] | undefined> {
    return ids === undefined
      ? this.select(`getDataWithoutRelationships(${type})`, `select body from ${this.table(type)}`, [])
      : this.select(
          `selectBodies(${type})`,
          `select body from ${this.table(type)} where ID in (${placeholders(ids.length, 1)})`,
          ids,
        );
  }

  /** The `body, null, null, null ... UNION ALL ... rel rows` query, as jOOQ renders it for PostgreSQL. */
  private selectBodiesWithRelationships(
    type: string,
    prefixes: readonly string[],
    ids: (string | null)[] | undefined,
  ): Promise<Row[] | undefined> {
    if (ids === undefined) {
      return this.select(
        `getDataWithRelationships(${type})`,
        `select body as "body", null as "id", null as "rel_id", null as "rel_type" from ${this.table(type)}
         union all
         select null as "body", id as "id", rel_id as "rel_id", rel_type as "rel_type" from ${this.relTable(type)}
         ${relWhere(prefixes, null, 1)}`,
        likePatterns(prefixes),
      );
    }
    const inIds = `ID in (${placeholders(ids.length, 1)})`;
    return this.select(
      `selectBodiesWithRelationships(${type})`,
      `select body as "body", null as "id", null as "rel_id", null as "rel_type" from ${this.table(type)}
        where ${inIds}
       union all
       select null as "body", id as "id", rel_id as "rel_id", rel_type as "rel_type" from ${this.relTable(type)}
        ${relWhere(prefixes, inIds, ids.length + 1)}`,
      [...ids, ...likePatterns(prefixes)],
    );
  }

  /** Runs a read; a SQL error is swallowed as SqlCache does (`suppressedLog`): undefined. */
  private async select(where: string, text: string, params: unknown[]): Promise<Row[] | undefined> {
    try {
      return await this.db.sql<Row>(text, params);
    } catch (error) {
      this.suppressed.push({ where, message: (error as Error).message });
      return undefined;
    }
  }

  /**
   * `parseCacheRelResultSet` (bodies, each read as a `DefaultJsonCacheData`, and relationship
   * pointers). A body that cannot be read is logged and skipped in the relationship query; in the
   * bodies-only query it fails the whole read, as there the exception reaches SqlCache's catch.
   */
  private parse(
    type: string,
    rows: Row[],
    withRelationships: boolean,
  ): { data: CacheData[] | undefined; pointers: RelPointer[] } {
    const data: CacheData[] = [];
    const pointers = new Map<string, RelPointer>();
    for (const row of rows) {
      if (row.body !== null && row.body.trim() !== '') {
        try {
          data.push(readCacheData(row.body, this.now()));
        } catch (error) {
          this.suppressed.push({ where: `deserialize ${type}`, message: (error as Error).message });
          if (!withRelationships) return { data: undefined, pointers: [] };
        }
      } else if (withRelationships) {
        const pointer = { id: String(row.id), rel_id: String(row.rel_id), rel_type: String(row.rel_type) };
        pointers.set(`${pointer.id}\u0000${pointer.rel_id}\u0000${pointer.rel_type}`, pointer);
      }
    }
    if (this.rowOrder === 'reversed') data.reverse();
    return { data, pointers: [...pointers.values()] };
  }

  private table(type: string): string {
    return this.names.resourceTable(type);
  }

  private relTable(type: string): string {
    return this.names.relTable(type);
  }
}

function prefixesOf(filter: CacheFilter | null): readonly string[] {
  return filter === null ? ['ALL'] : filter.allowableRelationshipPrefixes;
}

/**
 * The WHERE clause of SqlCache.getRelWhere: `prefix AND (rel_type LIKE 'p%' OR ...)`, the LIKEs
 * left out for ALL (jOOQ's `noCondition()`), no clause at all when nothing is left.
 */
function relWhere(prefixes: readonly string[], prefix: string | null, firstParam: number): string {
  const likes =
    prefixes.length > 0 && !prefixes.includes('ALL')
      ? prefixes.map((_, i) => `rel_type like $${firstParam + i}`).join(' or ')
      : null;
  if (prefix === null) return likes === null ? '' : `where (${likes})`;
  return likes === null ? `where (${prefix})` : `where (${prefix} and (${likes}))`;
}

function likePatterns(prefixes: readonly string[]): string[] {
  return prefixes.length > 0 && !prefixes.includes('ALL') ? prefixes.map((p) => `${p}%`) : [];
}

function placeholders(count: number, first: number): string {
  return Array.from({ length: count }, (_, i) => `$${first + i}`).join(', ');
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * `mapper.readValue(body, DefaultJsonCacheData)`: `id`, `ttlSeconds` (a Java int: 0 when absent),
 * `attributes` (null becomes `{}`), `relationships` (kept as is, null included: each value a
 * collection of strings); then DefaultCacheData's `cacheExpiry` handling, whose `(long)` cast
 * throws a ClassCastException for a JSON integer Jackson reads as an Integer.
 */
export function readCacheData(body: string, now: number): CacheData {
  const json = JSON.parse(body) as Record<string, unknown>;
  const ttl = json.ttlSeconds ?? 0;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl > INT_MAX || ttl < INT_MIN) {
    throw new ClouddriverException(
      'MismatchedInputException',
      `ttlSeconds ${JSON.stringify(ttl)} is not an int`,
    );
  }
  const attributes = isObject(json.attributes) ? { ...json.attributes } : {};
  if (json.attributes !== null && json.attributes !== undefined && !isObject(json.attributes)) {
    throw new ClouddriverException('MismatchedInputException', 'attributes is not an object');
  }
  let relationships: CacheData['relationships'] | null = null;
  if (json.relationships !== null && json.relationships !== undefined) {
    if (!isObject(json.relationships)) {
      throw new ClouddriverException('MismatchedInputException', 'relationships is not an object');
    }
    relationships = {};
    for (const [key, values] of Object.entries(json.relationships)) {
      if (!Array.isArray(values)) {
        throw new ClouddriverException('MismatchedInputException', `relationships.${key} is not a list`);
      }
      relationships[key] = (values as unknown[]).map((v): string | null => {
        if (v === null || typeof v === 'string') return v;
        if (typeof v === 'number' || typeof v === 'boolean') return String(v);
        throw new ClouddriverException('MismatchedInputException', `relationships.${key} holds a non-string`);
      });
    }
  }
  let ttlSeconds = ttl;
  if (ttl > 0) attributes.cacheExpiry = now + ttl * 1000;
  if (ttl < 0 && 'cacheExpiry' in attributes) {
    const expiry = attributes.cacheExpiry;
    if (expiry === null) throw new ClouddriverException('NullPointerException', 'cacheExpiry is null');
    if (typeof expiry !== 'number' || !Number.isInteger(expiry) || (expiry <= INT_MAX && expiry >= INT_MIN)) {
      throw new ClouddriverException(
        'ClassCastException',
        `cacheExpiry ${JSON.stringify(expiry)} is not a Long`,
      );
    }
    ttlSeconds = Math.trunc(((now - expiry) * -1) / 1000);
  }
  return {
    id: String(json.id),
    ttlSeconds,
    attributes,
    relationships: relationships as CacheData['relationships'],
  };
}

/** `item.relationships`, which Kotlin/Java dereference without a null check. */
function relationshipsOf(item: CacheData, where: string): Record<string, (string | null)[]> {
  if (item.relationships === null || item.relationships === undefined) {
    throw new ClouddriverException('NullPointerException', `${where}: ${item.id} has null relationships`);
  }
  return item.relationships;
}

/** SqlCache.normalizeRelationships: `type:agent` keys folded to `type`, filtered by prefix. */
function normalizeRelationships(
  relationships: Record<string, (string | null)[]>,
  prefixes: readonly string[],
): Record<string, (string | null)[]> {
  const filter = prefixes.some((p) => p !== 'ALL');
  const out: Record<string, (string | null)[]> = {};
  for (const [key, values] of Object.entries(relationships)) {
    const type = key.includes(':') ? key.slice(0, key.indexOf(':')) : key;
    if (!filter || prefixes.some((p) => type.startsWith(p))) (out[type] ??= []).push(...values);
  }
  return out;
}

/**
 * SqlCache.mergeDataAndRelationships, line by line: duplicate ids (one row per agent) merge with
 * the first row winning each attribute and relationships unioned; `_rel` pointers are added; then
 * relationship keys are filtered by prefix, with none() stripping every relationship (those in the
 * body included) and ALL keeping all.
 */
export function mergeDataAndRelationships(
  cacheData: readonly CacheData[],
  pointers: readonly RelPointer[],
  prefixes: readonly string[],
): CacheData[] {
  const data = new Map<string, CacheData>();
  const relKeysToRemove = new Map<string, Set<string>>();
  const toRemove = (id: string) => {
    let set = relKeysToRemove.get(id);
    if (!set) relKeysToRemove.set(id, (set = new Set()));
    return set;
  };
  const filter = prefixes.some((p) => p !== 'ALL') || prefixes.length === 0;

  for (const item of cacheData) {
    const first = data.get(item.id);
    if (first === undefined) {
      data.set(item.id, item);
      if (prefixes.length > 0) {
        const relationships = relationshipsOf(item, 'mergeDataAndRelationships');
        if (Object.keys(relationships).some((k) => k.includes(':'))) {
          Object.assign(relationships, normalizeRelationships(relationships, prefixes));
        }
      } else {
        for (const key of Object.keys(relationshipsOf(item, 'mergeDataAndRelationships')))
          toRemove(item.id).add(key);
      }
    } else {
      const rel = relationshipsOf(first, 'mergeDataAndRelationships');
      if (prefixes.length > 0) {
        const normalized = normalizeRelationships(relationshipsOf(item, 'normalizeRelationships'), prefixes);
        for (const [key, values] of Object.entries(normalized)) {
          if (key in rel) {
            for (const value of values) if (!rel[key].includes(value)) rel[key].push(value);
          } else {
            rel[key] = values;
          }
        }
      } else {
        for (const key of Object.keys(rel)) toRemove(item.id).add(key);
      }
      for (const [key, value] of Object.entries(item.attributes)) {
        if (!(key in first.attributes)) first.attributes[key] = value;
      }
    }
  }

  if (prefixes.length > 0) {
    for (const pointer of pointers) {
      const item = data.get(pointer.id);
      if (item === undefined) continue;
      const rel = relationshipsOf(item, 'mergeDataAndRelationships');
      const existing = (rel[pointer.rel_type] ??= []);
      if (!existing.includes(pointer.rel_id)) existing.push(pointer.rel_id);
    }
  }

  if (relKeysToRemove.size === 0 && filter) {
    for (const item of data.values()) {
      for (const key of Object.keys(item.relationships ?? {})) {
        if (!prefixes.some((p) => key.startsWith(p))) toRemove(item.id).add(key);
      }
    }
  }
  for (const [id, keys] of relKeysToRemove) {
    const item = data.get(id);
    if (item?.relationships) for (const key of keys) delete item.relationships[key];
  }
  return [...data.values()];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
