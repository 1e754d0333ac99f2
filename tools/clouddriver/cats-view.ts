import { PROJECTED_TYPES, SqlNames } from '@event-cache/clouddriver-projection';

/** What runs a query (a `pg` Client or Pool). */
export interface Queryable {
  query<R extends object>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

const MAX_IDS = 200;

/**
 * A read of Clouddriver's own cache tables (`cats_v1_*`), as a Clouddriver on its SQL cache would
 * find them, for people checking what was projected: with no type, every table with its rows and
 * relationship rows; with a type, the ids of its rows (and their agent and age); with a type and
 * an id, that row's body as Clouddriver reads it. Returns the lines to print.
 */
export async function catsView(
  db: Queryable,
  options: { tableNamespace?: string | null; type?: string; id?: string; now?: number } = {},
): Promise<string[]> {
  const names = new SqlNames(options.tableNamespace ?? null);
  const now = options.now ?? Date.now();
  if (options.type === undefined) return overview(db, names);
  const type = PROJECTED_TYPES.find((t) => t.toLowerCase() === options.type!.toLowerCase());
  if (type === undefined)
    return [`unknown type ${options.type.slice(0, 60)}: one of ${PROJECTED_TYPES.join(', ')}`];
  const table = names.resourceTable(type);
  if (!(await exists(db, table))) return [`${table} does not exist (is clouddriver.cache.enabled true?)`];
  if (options.id !== undefined) {
    const { rows } = await db.query<{ agent: string; body: string; last_updated: string }>(
      `SELECT agent, body, last_updated FROM ${table} WHERE id = $1 ORDER BY agent`,
      [options.id],
    );
    if (rows.length === 0) return [`no row ${options.id} in ${table}`];
    return rows.flatMap((r) => [
      `${table} ${options.id} (agent ${r.agent}, written ${age(now, Number(r.last_updated))} ago)`,
      JSON.stringify(JSON.parse(r.body), null, 2),
    ]);
  }
  const { rows } = await db.query<{ id: string; agent: string; last_updated: string }>(
    `SELECT id, agent, last_updated FROM ${table} ORDER BY id, agent LIMIT ${MAX_IDS + 1}`,
  );
  const lines = rows
    .slice(0, MAX_IDS)
    .map((r) => `${r.id}  ${r.agent}  ${age(now, Number(r.last_updated))} ago`);
  if (rows.length > MAX_IDS) lines.push(`... (first ${MAX_IDS} ids)`);
  return [`${table}: ${rows.length > MAX_IDS ? `more than ${MAX_IDS}` : rows.length} rows`, ...lines];
}

async function overview(db: Queryable, names: SqlNames): Promise<string[]> {
  const tables = PROJECTED_TYPES.map((type) => ({
    type,
    table: names.resourceTable(type),
    rel: names.relTable(type),
  }));
  const { rows: present } = await db.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = current_schema() AND table_name = ANY($1)`,
    [tables.flatMap((t) => [t.table, t.rel])],
  );
  const known = new Set(present.map((r) => r.name));
  const counted = tables.flatMap((t) => [t.table, t.rel]).filter((name) => known.has(name));
  if (counted.length === 0)
    return [
      'no Clouddriver tables (cats_v1_*) here: is clouddriver.cache.enabled true in the configuration?',
    ];
  // One statement for every table.
  const { rows } = await db.query<{ name: string; n: number }>(
    counted.map((name) => `SELECT '${name}' AS name, count(*)::int AS n FROM ${name}`).join(' UNION ALL '),
  );
  const count = new Map(rows.map((r) => [r.name, r.n]));
  const width = Math.max(...tables.map((t) => t.table.length));
  return tables
    .filter((t) => known.has(t.table))
    .map(
      (t) =>
        `${t.table.padEnd(width)}  ${String(count.get(t.table) ?? 0).padStart(6)} rows  ` +
        `${String(count.get(t.rel) ?? 0).padStart(6)} relationships`,
    );
}

async function exists(db: Queryable, table: string): Promise<boolean> {
  const { rows } = await db.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [
    table,
  ]);
  return rows[0]?.present === true;
}

function age(now: number, then: number): string {
  const s = Math.max(0, Math.round((now - then) / 1000));
  return s < 120 ? `${s} s` : s < 7_200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3_600)} h`;
}
