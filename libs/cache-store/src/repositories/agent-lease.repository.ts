import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Queryable } from './queryable';
import { returnedRows, toDate } from './sql';

export interface Lease {
  agentId: string;
  owner: string;
  /** Fencing token: changes every time the lease is (re)acquired. */
  token: string;
  expiresAt: Date;
  /** When the agent was due (acquireDue only): start lag = start - dueAt. */
  dueAt: Date | null;
}

export interface LeaseRef {
  agentId: string;
  token: string;
}

/** How one run went, recorded on release for introspection (Clouddriver's fields and more). */
export interface RunRecord {
  startedAt: Date;
  durationMs: number;
  additions: number;
  evictions: number;
  error: string | null;
}

export interface Release extends LeaseRef {
  nextRunAt: Date;
  run?: RunRecord;
}

export interface LeaseOutcome {
  /** Leases the call applied to. */
  ok: string[];
  /** Leases this owner no longer holds (expired and taken over, or released elsewhere). */
  lost: string[];
}

/**
 * SQL leases (docs/architecture.md#agent-leases): a row per running agent, unique on the agent id. Acquisition is an
 * insert that wins or loses on that constraint, for many agents in one statement; an expired
 * lease is taken over by the same statement. Extension and release check owner and token.
 */
@Injectable()
export class AgentLeaseRepository {
  constructor(@Inject(DataSource) private readonly db: Queryable) {}

  /**
   * Leases up to `limit` agents that are due (next run reached, not paused, not held), oldest
   * due first. Rows another acquirer is looking at are skipped, so concurrent schedulers spread
   * over different agents instead of colliding. `agentIds` restricts to agents this replica runs.
   */
  async acquireDue(options: {
    owner: string;
    ttlMs: number;
    limit: number;
    agentIds?: string[];
  }): Promise<Lease[]> {
    const rows: LeaseRow[] = await this.db.query(
      `WITH due AS (
         SELECT s.agent_id, s.next_run_at FROM agent_schedule s
          WHERE s.next_run_at <= now() AND NOT s.paused
            AND ($4::text[] IS NULL OR s.agent_id = ANY($4::text[]))
            AND NOT EXISTS (SELECT 1 FROM agent_lease l WHERE l.agent_id = s.agent_id AND l.expires_at > now())
          ORDER BY s.next_run_at
          LIMIT $3
          FOR UPDATE OF s SKIP LOCKED
       ), won AS (
         INSERT INTO agent_lease AS l (agent_id, owner, token, acquired_at, expires_at)
         SELECT agent_id, $1, nextval('agent_lease_token_seq'), now(),
                now() + make_interval(secs => $2::double precision / 1000)
           FROM due
         ON CONFLICT (agent_id) DO UPDATE
            SET owner = excluded.owner, token = excluded.token,
                acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
          WHERE l.expires_at <= now()
         RETURNING l.agent_id, l.owner, l.token, l.expires_at
       )
       SELECT won.*, due.next_run_at AS due_at FROM won JOIN due USING (agent_id) ORDER BY due.next_run_at`,
      [options.owner, options.ttlMs, options.limit, options.agentIds ?? null],
    );
    return rows.map(toLease);
  }

  /** Leases exactly these agents where free or expired, whether due or not (admin runs, tests). */
  async acquire(options: { owner: string; ttlMs: number; agentIds: string[] }): Promise<Lease[]> {
    const rows: LeaseRow[] = await this.db.query(
      `INSERT INTO agent_lease AS l (agent_id, owner, token, acquired_at, expires_at)
       SELECT id, $1, nextval('agent_lease_token_seq'), now(), now() + make_interval(secs => $2::double precision / 1000)
         FROM (SELECT DISTINCT id FROM unnest($3::text[]) AS id ORDER BY id) AS ids
       ON CONFLICT (agent_id) DO UPDATE
          SET owner = excluded.owner, token = excluded.token,
              acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
        WHERE l.expires_at <= now()
       RETURNING l.agent_id, l.owner, l.token, l.expires_at`,
      [options.owner, options.ttlMs, options.agentIds],
    );
    return rows.map(toLease);
  }

  /** Pushes expiry forward for leases this owner still holds; reports the ones it lost. */
  async extend(
    owner: string,
    leases: LeaseRef[],
    ttlMs: number,
  ): Promise<LeaseOutcome & { expiresAt: Date | null }> {
    const rows = returnedRows<{ agent_id: string; expires_at: Date }>(
      await this.db.query(
        `UPDATE agent_lease l SET expires_at = now() + make_interval(secs => $4::double precision / 1000)
           FROM unnest($2::text[], $3::bigint[]) AS r(agent_id, token)
          WHERE l.agent_id = r.agent_id AND l.token = r.token AND l.owner = $1 AND l.expires_at > now()
          RETURNING l.agent_id, l.expires_at`,
        [owner, leases.map((l) => l.agentId), leases.map((l) => l.token), ttlMs],
      ),
    );
    return { ...outcome(leases, rows), expiresAt: rows.length ? toDate(rows[0].expires_at) : null };
  }

  /**
   * Releases leases this owner holds and, in the same statement, records each agent's next run
   * and how its run went. A lease that was lost is reported and its schedule left alone.
   */
  async release(owner: string, releases: Release[]): Promise<LeaseOutcome> {
    if (releases.length === 0) return { ok: [], lost: [] };
    // Lock order: schedule rows before lease rows, as acquireDue takes them. Deleting the lease
    // first and then waiting for a schedule row an acquirer holds (while that acquirer waits
    // for the lease row) deadlocks; so the schedule rows are locked, in key order, first.
    return this.db.transaction(async (tx) => {
      await tx.query(
        `SELECT agent_id FROM agent_schedule WHERE agent_id = ANY($1::text[]) ORDER BY agent_id FOR UPDATE`,
        [releases.map((r) => r.agentId)],
      );
      return this.releaseLocked(tx, owner, releases);
    });
  }

  private async releaseLocked(db: Queryable, owner: string, releases: Release[]): Promise<LeaseOutcome> {
    const rows: { agent_id: string }[] = await db.query(
      `WITH input AS (
         SELECT * FROM unnest($2::text[], $3::bigint[], $4::timestamptz[], $5::timestamptz[], $6::int[],
                              $7::int[], $8::int[], $9::text[])
           AS r(agent_id, token, next_run_at, started_at, duration_ms, additions, evictions, error)
       ), released AS (
         DELETE FROM agent_lease l USING input r
          WHERE l.agent_id = r.agent_id AND l.token = r.token AND l.owner = $1
          RETURNING l.agent_id
       ), updated AS (
         UPDATE agent_schedule s
          SET next_run_at = r.next_run_at,
              last_run_started_at = COALESCE(r.started_at, s.last_run_started_at),
              last_run_duration_ms = COALESCE(r.duration_ms, s.last_run_duration_ms),
              last_additions = COALESCE(r.additions, s.last_additions),
              last_evictions = COALESCE(r.evictions, s.last_evictions),
              last_error = CASE WHEN r.started_at IS NULL THEN s.last_error ELSE r.error END,
              total_additions = s.total_additions + COALESCE(r.additions, 0),
              total_evictions = s.total_evictions + COALESCE(r.evictions, 0),
              updated_at = now()
         FROM input r JOIN released USING (agent_id)
        WHERE s.agent_id = r.agent_id
        RETURNING s.agent_id
       )
       SELECT agent_id FROM released`,
      [
        owner,
        releases.map((r) => r.agentId),
        releases.map((r) => r.token),
        releases.map((r) => r.nextRunAt),
        releases.map((r) => r.run?.startedAt ?? null),
        releases.map((r) => (r.run ? Math.round(r.run.durationMs) : null)),
        releases.map((r) => r.run?.additions ?? null),
        releases.map((r) => r.run?.evictions ?? null),
        releases.map((r) => r.run?.error ?? null),
      ],
    );
    return outcome(releases, rows);
  }

  /** Graceful shutdown: drops every lease this owner holds, leaving schedules as they are. */
  async releaseAll(owner: string): Promise<string[]> {
    const rows = returnedRows<{ agent_id: string }>(
      await this.db.query(`DELETE FROM agent_lease WHERE owner = $1 RETURNING agent_id`, [owner]),
    );
    return rows.map((r) => r.agent_id);
  }

  /** Current, unexpired leases by agent id. */
  async held(agentIds?: string[]): Promise<Map<string, Lease>> {
    const rows: LeaseRow[] = await this.db.query(
      `SELECT agent_id, owner, token, expires_at FROM agent_lease
        WHERE expires_at > now() AND ($1::text[] IS NULL OR agent_id = ANY($1::text[]))`,
      [agentIds ?? null],
    );
    return new Map(rows.map((r) => [r.agent_id, toLease(r)]));
  }
}

interface LeaseRow {
  agent_id: string;
  owner: string;
  token: string;
  expires_at: Date;
  due_at?: Date;
}

function toLease(row: LeaseRow): Lease {
  return {
    agentId: row.agent_id,
    owner: row.owner,
    token: String(row.token),
    expiresAt: toDate(row.expires_at),
    dueAt: row.due_at ? toDate(row.due_at) : null,
  };
}

function outcome(requested: { agentId: string }[], applied: { agent_id: string }[]): LeaseOutcome {
  const ok = new Set(applied.map((r) => r.agent_id));
  return { ok: [...ok], lost: requested.map((r) => r.agentId).filter((id) => !ok.has(id)) };
}
