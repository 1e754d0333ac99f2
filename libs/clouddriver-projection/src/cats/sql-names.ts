import { murmur3x64128Hex } from './murmur3';

/** PostgreSQL's identifier limit, as Clouddriver's `SqlConstraints` sets it for PostgreSQL. */
const MAX_TABLE_NAME_LENGTH = 63;
const SCHEMA_VERSION = 1;

/**
 * Clouddriver's cats-sql table names (`SqlNames`): `cats_v1_[<namespace>_]<type>[_rel]`, the type
 * with every character outside `[A-Za-z0-9_]` replaced by `_`, shortened with a murmur3 hash when
 * the name would not fit PostgreSQL's 63 characters. Clouddriver never quotes these names, so
 * PostgreSQL folds them to lower case: that folded name is what is returned here.
 */
export class SqlNames {
  private readonly prefix: string;

  constructor(readonly tableNamespace: string | null = null) {
    if (tableNamespace !== null && !/^\w+$/.test(tableNamespace)) {
      throw new Error('clouddriver.cache.tableNamespace can only contain characters [a-z, A-Z, 0-9, _]');
    }
    this.prefix =
      tableNamespace === null ? `cats_v${SCHEMA_VERSION}_` : `cats_v${SCHEMA_VERSION}_${tableNamespace}_`;
    // Fail at start-up, as Clouddriver does, when even the shortest name cannot fit.
    this.resourceTable('x');
  }

  resourceTable(type: string): string {
    return this.tableName(sanitize(type), '');
  }

  relTable(type: string): string {
    return this.tableName(sanitize(type), '_rel');
  }

  private tableName(name: string, suffix: string): string {
    const base = this.prefix;
    const full = base + name + suffix;
    if (full.length < MAX_TABLE_NAME_LENGTH) return full.toLowerCase();
    const hash = murmur3x64128Hex(name + suffix).slice(0, 16);
    const available = MAX_TABLE_NAME_LENGTH - base.length - suffix.length - hash.length - 1;
    if (available >= 0) return (base + name.slice(0, available + 1) + hash + suffix).toLowerCase();
    if (available + suffix.length >= 0) {
      return (base + name.slice(0, available + suffix.length + 1) + hash).toLowerCase();
    }
    throw new Error(`clouddriver.cache.tableNamespace ${this.tableNamespace} is too long`);
  }
}

function sanitize(type: string): string {
  return type.replace(/[^A-Za-z0-9_]/g, '_');
}

/** Quotes an identifier for SQL (the names above are already folded, so quoting changes nothing). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
