import type { Edge, EdgeScope, ProjectionPlan, ResourceRow } from '../plan';
import { bodyHash, serializeCacheData } from './cats-body';
import { quoteIdent, type SqlNames } from './sql-names';
import type { Sql } from './sql';
import { identityUlid } from './ulid';

/** What a plan changed in Clouddriver's tables. */
export interface WriteStats {
  /** Resource rows inserted or rewritten (an unchanged body is not rewritten). */
  rowsWritten: number;
  rowsDeleted: number;
  relationshipsWritten: number;
  relationshipsDeleted: number;
}

interface RelRow {
  uuid: string;
  id: string;
  rel_id: string;
  rel_agent: string;
  rel_type: string;
}

type RelIdentity = Omit<RelRow, 'uuid'>;

/**
 * Executes a projection plan with set-based statements: per table one statement for all its
 * upserts, deletes and relationship changes. Resource rows are written only when their body hash
 * changed; relationship rows are diffed against what is stored, so unchanged links are not
 * rewritten and keep their ULIDs.
 */
export class CatsWriter {
  constructor(
    private readonly names: SqlNames,
    private readonly now: () => number = Date.now,
  ) {}

  async write(sql: Sql, plan: ProjectionPlan): Promise<WriteStats> {
    const stats: WriteStats = {
      rowsWritten: 0,
      rowsDeleted: 0,
      relationshipsWritten: 0,
      relationshipsDeleted: 0,
    };
    if (plan.isEmpty) return stats;
    stats.relationshipsDeleted += await this.purge(sql, [...plan.purges.values()]);
    stats.rowsDeleted += await this.deleteRows(sql, [...plan.deletes.values()]);
    stats.rowsWritten += await this.upsertRows(sql, [...plan.upserts.values()]);
    const edges = await this.replaceEdges(sql, [...plan.edgeGroups.values()]);
    stats.relationshipsWritten += edges.written;
    stats.relationshipsDeleted += edges.deleted;
    stats.relationshipsWritten += await this.insertRelationships(
      sql,
      [...plan.ensured.values()].flatMap((e) => [
        { table: e.aType, id: e.a, rel_id: e.b, rel_agent: e.relAgent, rel_type: e.bType },
        { table: e.bType, id: e.b, rel_id: e.a, rel_agent: e.relAgent, rel_type: e.aType },
      ]),
    );
    return stats;
  }

  private async upsertRows(sql: Sql, rows: ResourceRow[]): Promise<number> {
    let written = 0;
    const now = this.now();
    for (const [type, group] of groupBy(rows, (r) => r.type)) {
      // Key order: writers overlapping on rows lock them in the same order.
      group.sort((x, y) => compare(x.data.id, y.data.id) || compare(x.agent, y.agent));
      for (const batch of bodyBatches(group)) {
        const result = await sql.query(
          `INSERT INTO ${this.resourceTable(type)} AS t (id, agent, application, body_hash, body, last_updated)
           SELECT d.id, d.agent, d.application, d.hash, d.body, $6
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
               AS d(id, agent, application, hash, body)
           ON CONFLICT (id, agent) DO UPDATE
              SET application = excluded.application, body_hash = excluded.body_hash,
                  body = excluded.body, last_updated = excluded.last_updated
            WHERE t.body_hash IS DISTINCT FROM excluded.body_hash
           RETURNING 1`,
          [
            batch.rows.map((r) => r.data.id),
            batch.rows.map((r) => r.agent),
            batch.rows.map((r) => applicationOf(r)),
            batch.bodies.map(bodyHash),
            batch.bodies,
            now,
          ],
        );
        written += result.length;
      }
    }
    return written;
  }

  private async deleteRows(
    sql: Sql,
    rows: { type: string; id: string; agent: string | null }[],
  ): Promise<number> {
    let deleted = 0;
    for (const [type, group] of groupBy(rows, (r) => r.type)) {
      const result = await sql.query(
        `DELETE FROM ${this.resourceTable(type)} t USING unnest($1::text[], $2::text[]) AS d(id, agent)
          WHERE t.id = d.id AND (d.agent IS NULL OR t.agent = d.agent) RETURNING 1`,
        [group.map((r) => r.id), group.map((r) => r.agent)],
      );
      deleted += result.length;
    }
    return deleted;
  }

  /** Deletes every relationship row of these keys, in both directions. */
  private async purge(sql: Sql, keys: { type: string; id: string }[]): Promise<number> {
    let deleted = 0;
    for (const [type, group] of groupBy(keys, (k) => k.type)) {
      const rows = await sql.query<RelRow>(
        `DELETE FROM ${this.relTable(type)} WHERE id = ANY($1::text[])
         RETURNING uuid, id, rel_id, rel_agent, rel_type`,
        [group.map((k) => k.id)],
      );
      deleted += rows.length + (await this.deleteMates(sql, type, rows));
    }
    return deleted;
  }

  private async replaceEdges(
    sql: Sql,
    groups: { scope: EdgeScope; edges: Edge[] }[],
  ): Promise<{ written: number; deleted: number }> {
    let written = 0;
    let deleted = 0;
    const inserts: (RelIdentity & { table: string })[] = [];
    for (const [type, typeGroups] of groupBy(groups, (g) => g.scope.type)) {
      const existing = await sql.query<RelRow>(
        `SELECT uuid, id, rel_id, rel_agent, rel_type FROM ${this.relTable(type)}
          WHERE id = ANY($1::text[]) AND rel_agent = ANY($2::text[])`,
        [
          [...new Set(typeGroups.map((g) => g.scope.key))],
          [...new Set(typeGroups.flatMap((g) => g.scope.relAgents))],
        ],
      );
      const scopesByKey = groupBy(typeGroups, (g) => g.scope.key);
      const inScope = new Map<string, RelRow>();
      for (const row of existing) {
        const scopes = scopesByKey.get(row.id) ?? [];
        if (scopes.some((g) => scopeHolds(g.scope, row))) inScope.set(identity(row), row);
      }
      const desired = new Map<string, RelIdentity>();
      for (const { scope, edges } of typeGroups) {
        for (const edge of edges) {
          const row = endpointRow(scope, edge);
          if (row) desired.set(identity(row), row);
        }
      }
      const obsolete = [...inScope.entries()].filter(([k]) => !desired.has(k)).map(([, row]) => row);
      if (obsolete.length > 0) {
        await sql.query(`DELETE FROM ${this.relTable(type)} WHERE uuid = ANY($1::text[])`, [
          obsolete.map((r) => r.uuid),
        ]);
        deleted += obsolete.length + (await this.deleteMates(sql, type, obsolete));
      }
      for (const [k, row] of desired) {
        if (inScope.has(k)) continue;
        inserts.push(
          { ...row, table: type },
          { id: row.rel_id, rel_id: row.id, rel_agent: row.rel_agent, rel_type: type, table: row.rel_type },
        );
      }
    }
    written += await this.insertRelationships(sql, inserts);
    return { written, deleted };
  }

  /** The other halves of deleted relationship rows of `type`. */
  private async deleteMates(sql: Sql, type: string, rows: RelIdentity[]): Promise<number> {
    let deleted = 0;
    for (const [relType, group] of groupBy(rows, (r) => r.rel_type)) {
      const result = await sql.query(
        `DELETE FROM ${this.relTable(relType)} t
          USING unnest($1::text[], $2::text[], $3::text[]) AS d(id, rel_id, rel_agent)
          WHERE t.id = d.id AND t.rel_type = $4 AND t.rel_id = d.rel_id AND t.rel_agent = d.rel_agent
          RETURNING 1`,
        [group.map((r) => r.rel_id), group.map((r) => r.id), group.map((r) => r.rel_agent), type],
      );
      deleted += result.length;
    }
    return deleted;
  }

  /**
   * Inserts relationship rows (each into its `table` type's `_rel`) not already stored. Each row's
   * `uuid` derives from what it relates, so concurrent writers of the same row insert it once.
   */
  private async insertRelationships(sql: Sql, rows: (RelIdentity & { table: string })[]): Promise<number> {
    let written = 0;
    const now = this.now();
    for (const [type, group] of groupBy(rows, (r) => r.table)) {
      const unique = [...new Map(group.map((r) => [identity(r), r])).values()];
      const result = await sql.query(
        `INSERT INTO ${this.relTable(type)} (uuid, id, rel_id, rel_agent, rel_type, last_updated)
         SELECT d.uuid, d.id, d.rel_id, d.rel_agent, d.rel_type, $6
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
             AS d(uuid, id, rel_id, rel_agent, rel_type)
          WHERE NOT EXISTS (SELECT 1 FROM ${this.relTable(type)} t
                             WHERE t.id = d.id AND t.rel_type = d.rel_type AND t.rel_id = d.rel_id
                               AND t.rel_agent = d.rel_agent)
         ON CONFLICT (uuid) DO NOTHING
         RETURNING 1`,
        [
          unique.map((r) => identityUlid(`${type}\u0000${identity(r)}`)),
          unique.map((r) => r.id),
          unique.map((r) => r.rel_id),
          unique.map((r) => r.rel_agent),
          unique.map((r) => r.rel_type),
          now,
        ],
      );
      written += result.length;
    }
    return written;
  }

  private resourceTable(type: string): string {
    return quoteIdent(this.names.resourceTable(type));
  }

  private relTable(type: string): string {
    return quoteIdent(this.names.relTable(type));
  }
}

/** Whether a stored row of the scope's table belongs to the scope. */
function scopeHolds(scope: EdgeScope, row: RelRow): boolean {
  return (
    row.id === scope.key &&
    scope.relAgents.includes(row.rel_agent) &&
    (scope.relType === undefined || row.rel_type === scope.relType)
  );
}

/** The edge's row in the scope's table, when the edge is the scope's (else undefined). */
function endpointRow(scope: EdgeScope, edge: Edge): RelIdentity | undefined {
  const row =
    edge.a === scope.key && edge.aType === scope.type
      ? { id: edge.a, rel_id: edge.b, rel_agent: edge.relAgent, rel_type: edge.bType }
      : edge.b === scope.key && edge.bType === scope.type
        ? { id: edge.b, rel_id: edge.a, rel_agent: edge.relAgent, rel_type: edge.aType }
        : undefined;
  if (!row || !scope.relAgents.includes(row.rel_agent)) return undefined;
  if (scope.relType !== undefined && row.rel_type !== scope.relType) return undefined;
  return row;
}

function identity(row: RelIdentity): string {
  return `${row.id}\u0000${row.rel_id}\u0000${row.rel_agent}\u0000${row.rel_type}`;
}

/**
 * The most body text one upsert statement carries. A statement's parameters exist in memory about
 * three times over while it is sent (the strings, PostgreSQL's array literal, the wire buffer): a
 * page of 1,000 instances with their health rows is split into a few statements, not one.
 */
const UPSERT_BATCH_CHARS = 2 * 1024 * 1024;

/** Rows in order with their serialised bodies, in batches of at most UPSERT_BATCH_CHARS of body (or one row). */
function* bodyBatches(rows: ResourceRow[]): Generator<{ rows: ResourceRow[]; bodies: string[] }> {
  let batch: { rows: ResourceRow[]; bodies: string[] } = { rows: [], bodies: [] };
  let chars = 0;
  for (const row of rows) {
    const body = serializeCacheData(row.data);
    if (batch.rows.length > 0 && chars + body.length > UPSERT_BATCH_CHARS) {
      yield batch;
      batch = { rows: [], bodies: [] };
      chars = 0;
    }
    batch.rows.push(row);
    batch.bodies.push(body);
    chars += body.length;
  }
  if (batch.rows.length > 0) yield batch;
}

function applicationOf(row: ResourceRow): string | null {
  const application = row.data.attributes.application;
  return typeof application === 'string' ? application : null;
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = out.get(key);
    if (list) list.push(item);
    else out.set(key, [item]);
  }
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
