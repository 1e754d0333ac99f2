import type { CacheData } from './cats/cats-body';

/** A resource row: `id` + `agent` is the primary key of the type's table. */
export interface ResourceRow {
  type: string;
  agent: string;
  data: CacheData;
}

/**
 * A relationship an agent writes for an informative type. Clouddriver's SqlCache stores it as two
 * rows, one in each endpoint's `_rel` table: `(id=a, rel_id=b, rel_type=bType)` and
 * `(id=b, rel_id=a, rel_type=aType)`, both with `rel_agent` = `<relationship type>:<agent>`.
 */
export interface Edge {
  a: string;
  aType: string;
  b: string;
  bType: string;
  relAgent: string;
}

/**
 * The rows of one endpoint's `_rel` table a unit owns: `id` = `key`, `rel_agent` one of
 * `relAgents` (and `rel_type` = `relType` when given), with their mates in the other tables.
 */
export interface EdgeScope {
  type: string;
  key: string;
  relAgents: readonly string[];
  relType?: string;
}

/** What one change asks of Clouddriver's tables. */
export class ProjectionPlan {
  readonly upserts = new Map<string, ResourceRow>();
  readonly deletes = new Map<string, { type: string; id: string; agent: string | null }>();
  /** Edge sets to make exactly so, within their scope. */
  readonly edgeGroups = new Map<string, { scope: EdgeScope; edges: Edge[] }>();
  /** Keys whose relationship rows go entirely, in both directions (evicted resources). */
  readonly purges = new Map<string, { type: string; id: string }>();
  /** Edges that must exist (added if missing, never removing others). */
  readonly ensured = new Map<string, Edge>();

  upsert(row: ResourceRow): void {
    const key = rowKey(row.type, row.data.id, row.agent);
    this.deletes.delete(key);
    this.upserts.set(key, row);
  }

  /** Deletes the row of `agent`, or every agent's row of `id` when `agent` is null. */
  delete(type: string, id: string, agent: string | null): void {
    const key = rowKey(type, id, agent);
    if (agent !== null) this.upserts.delete(key);
    else
      for (const k of [...this.upserts.keys()])
        if (k.startsWith(rowKey(type, id, ''))) this.upserts.delete(k);
    this.deletes.set(key, { type, id, agent });
  }

  edges(scope: EdgeScope, edges: Edge[]): void {
    const key = `${scope.type}\u0000${scope.key}\u0000${scope.relType ?? ''}\u0000${scope.relAgents.join(',')}`;
    this.edgeGroups.set(key, { scope, edges });
  }

  ensure(edge: Edge): void {
    this.ensured.set(`${edge.a}\u0000${edge.b}\u0000${edge.relAgent}`, edge);
  }

  purge(type: string, id: string): void {
    this.purges.set(`${type}\u0000${id}`, { type, id });
  }

  get isEmpty(): boolean {
    return (
      this.upserts.size + this.deletes.size + this.edgeGroups.size + this.purges.size + this.ensured.size ===
      0
    );
  }
}

function rowKey(type: string, id: string, agent: string | null): string {
  return `${type}\u0000${id}\u0000${agent ?? ''}`;
}
