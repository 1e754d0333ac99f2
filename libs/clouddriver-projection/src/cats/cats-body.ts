import { hash } from 'node:crypto';

/** A cats `CacheData` as Clouddriver stores it in a resource row's `body`. */
export interface CacheData {
  id: string;
  attributes: Record<string, unknown>;
  /** Related type -> keys. */
  relationships: Record<string, readonly (string | null)[]>;
  /** -1 (no expiry) for agent data; 600 for onDemand rows. */
  ttlSeconds: number;
}

/**
 * The `body` text of a resource row, as Clouddriver's `SqlCache` writes it with Clouddriver's
 * ObjectMapper (`SORT_PROPERTIES_ALPHABETICALLY`, `ORDER_MAP_ENTRIES_BY_KEYS`, `NON_NULL`): the
 * CacheData's properties in alphabetical order (`attributes`, `id`, `relationships`, `ttlSeconds`),
 * every map's entries ordered by key at every depth, null members left out (SqlCache drops null
 * attributes), arrays in their own order (nulls inside arrays are kept, as Jackson writes them).
 */
export function serializeCacheData(data: CacheData): string {
  return (
    `{"attributes":${canonicalJson(data.attributes)},"id":${JSON.stringify(data.id)},` +
    `"relationships":${canonicalJson(data.relationships)},"ttlSeconds":${data.ttlSeconds}}`
  );
}

/** `body_hash`: SHA-256 of the body's UTF-8 bytes, lower-case hex (SqlCache.getHash). */
export function bodyHash(body: string): string {
  return hash('sha256', body, 'hex');
}

/** JSON with object keys sorted (UTF-16 code unit order, as Java's String ordering) and nulls dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return String(value.getTime());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== null && v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return 'null';
}
