/** Small helpers shared by the repositories' raw SQL. */
import { isStorableText } from '@event-cache/platform';

/** Turns a `*` glob into a LIKE pattern, escaping LIKE's own wildcards. */
export function globToLike(glob: string): string {
  return glob.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%');
}

/** Keyset cursors are opaque to callers: base64url of the last key returned. */
export function encodeCursor(lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64url');
}

/**
 * The text a cursor encodes, or undefined when it is not one `encodeCursor` could have made: not
 * canonical base64url of UTF-8, or text PostgreSQL cannot store (a client's typo or tampering
 * must be a 400, never reach a statement).
 */
export function decodeCursor(cursor: string): string | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  return text !== '' && encodeCursor(text) === cursor && isStorableText(text) ? text : undefined;
}

/**
 * The rows a statement RETURNING something gave back. TypeORM's `query()` answers UPDATE and DELETE
 * on PostgreSQL with `[rows, rowCount]` and every other statement with the rows alone; a result
 * row is never an array, so the two shapes cannot be confused.
 */
export function returnedRows<T>(result: unknown): T[] {
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  )
    return result[0] as T[];
  return result as T[];
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function toDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

export function toDateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}
