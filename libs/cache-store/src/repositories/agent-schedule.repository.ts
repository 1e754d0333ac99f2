import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CACHE_PROJECTION, type CacheProjectionPort } from '../projection.port';
import { CachedResourceRepository } from './cached-resource.repository';
import type { Queryable } from './queryable';
import { globToLike, returnedRows, toDate, toDateOrNull } from './sql';

export interface AgentRegistration {
  agentId: string;
  provider?: string;
  kind: string;
  account: string;
  region: string;
  baseIntervalMs: number;
  /** First run of a newly registered agent (spread them to avoid a thundering herd). */
  firstRunAt: Date;
}

/** Selects agents by id glob and/or scope; every given field must match. */
export interface AgentMatch {
  agentIdGlob?: string;
  account?: string;
  region?: string;
  kind?: string;
  /** Any of these kinds (an empty list matches nothing). */
  kinds?: string[];
  /**
   * Only agents without an override, or whose override was set by a setter starting with this
   * prefix: event-driven changes (`event:`) never replace or clear an operator's override.
   */
  overrideSetByPrefix?: string;
}

export interface IntervalOverride {
  intervalMs?: number;
  factor?: number;
  expiresAt?: Date | null;
  setBy: string;
  reason: string;
}

export interface IntervalUpdate {
  agentId: string;
  intervalMs: number;
  reason: string;
  dynamicFactor: number;
  consecutiveThrottles: number;
}

export interface AgentScheduleView {
  agentId: string;
  provider: string;
  kind: string;
  account: string;
  region: string;
  baseIntervalMs: number;
  intervalMs: number;
  intervalReason: string;
  nextRunAt: Date;
  paused: boolean;
  override: {
    intervalMs: number | null;
    factor: number | null;
    expiresAt: Date | null;
    setBy: string | null;
    reason: string | null;
  } | null;
  dynamicFactor: number;
  consecutiveThrottles: number;
  lastRun: {
    startedAt: Date;
    durationMs: number | null;
    additions: number | null;
    evictions: number | null;
    error: string | null;
  } | null;
  totalAdditions: number;
  totalEvictions: number;
}

/** Per-agent schedule: next run, interval in force and why, overrides, pause, last-run stats. */
@Injectable()
export class AgentScheduleRepository {
  constructor(
    @Inject(DataSource) private readonly db: Queryable,
    /** Retiring agents evicts what they own: the projection follows, as for any eviction. */
    @Optional() @Inject(CACHE_PROJECTION) private readonly projection: CacheProjectionPort | null = null,
  ) {}

  /**
   * Adds new agents and refreshes the description of known ones, keeping their schedule state, and
   * marks them all seen now (a replica whose configuration has them is alive). With
   * `affirmAfterMs`, rows seen more recently than that and otherwise unchanged are not rewritten:
   * a replica re-affirming its agents periodically touches each row only every so often. An agent
   * retired meanwhile is registered again.
   */
  async register(
    registrations: AgentRegistration[],
    options: { affirmAfterMs?: number } = {},
  ): Promise<void> {
    // One row per agent id (the last registration wins), in id order so concurrent registering
    // replicas lock rows in the same order.
    const agents = [...new Map(registrations.map((a) => [a.agentId, a])).values()].sort((a, b) =>
      a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0,
    );
    if (agents.length === 0) return;
    await this.db.query(
      `INSERT INTO agent_schedule AS s
              (agent_id, provider, kind, account, region, base_interval_ms, interval_ms, next_run_at, seen_at)
       SELECT r.agent_id, r.provider, r.kind, r.account, r.region, r.base_ms, r.base_ms, r.first_run_at, now()
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::timestamptz[])
           AS r(agent_id, provider, kind, account, region, base_ms, first_run_at)
       ON CONFLICT (agent_id) DO UPDATE
          SET provider = excluded.provider, kind = excluded.kind, account = excluded.account,
              region = excluded.region, base_interval_ms = excluded.base_interval_ms, seen_at = now(),
              updated_at = CASE
                WHEN (s.provider, s.kind, s.account, s.region, s.base_interval_ms)
                     IS DISTINCT FROM (excluded.provider, excluded.kind, excluded.account, excluded.region, excluded.base_interval_ms)
                THEN now() ELSE s.updated_at END
        WHERE (s.provider, s.kind, s.account, s.region, s.base_interval_ms)
              IS DISTINCT FROM (excluded.provider, excluded.kind, excluded.account, excluded.region, excluded.base_interval_ms)
           OR s.seen_at <= now() - make_interval(secs => $8::double precision / 1000)`,
      [
        agents.map((a) => a.agentId),
        agents.map((a) => a.provider ?? 'aws'),
        agents.map((a) => a.kind),
        agents.map((a) => a.account),
        agents.map((a) => a.region),
        agents.map((a) => Math.round(a.baseIntervalMs)),
        agents.map((a) => a.firstRunAt),
        options.affirmAfterMs ?? 0,
      ],
    );
  }

  /**
   * Retires the agents no replica registered for `unseenForMs` (their account, region or kind is
   * in no running replica's configuration any more), in one statement: their schedule rows, their
   * expired lease rows, and the cached rows they own with those rows' relationships. An agent
   * whose lease is live is running somewhere and stays. Regionless rows (clusters, applications)
   * still related to a remaining row stay until their next writer takes them over. Returns the
   * retired agent ids and how many cached rows went with them.
   */
  async retireUnseen(options: { unseenForMs: number }): Promise<{ agentIds: string[]; evicted: number }> {
    return this.db.transaction(async (tx) => {
      const [row]: { agent_ids: string[] | null }[] = await tx.query(
        `WITH retired AS (
           DELETE FROM agent_schedule s
            WHERE s.seen_at < now() - make_interval(secs => $1::double precision / 1000)
              AND NOT EXISTS (SELECT 1 FROM agent_lease l WHERE l.agent_id = s.agent_id AND l.expires_at > now())
            RETURNING s.agent_id
         ), leases AS (
           DELETE FROM agent_lease l USING retired r WHERE l.agent_id = r.agent_id
         )
         SELECT array_agg(agent_id ORDER BY agent_id) AS agent_ids FROM retired`,
        [options.unseenForMs],
      );
      const agentIds = row?.agent_ids ?? [];
      const evicted = await new CachedResourceRepository(tx, this.projection).evictOwnedBy(agentIds);
      return { agentIds, evicted: evicted.length };
    });
  }

  async list(match: AgentMatch = {}): Promise<AgentScheduleView[]> {
    const { where, params } = matchSql(match);
    const rows: ScheduleRow[] = await this.db.query(
      `SELECT * FROM agent_schedule WHERE ${where} ORDER BY agent_id`,
      params,
    );
    return rows.map(toView);
  }

  /** Clouddriver's /cache/introspection order: most recently started first. */
  async introspection(): Promise<AgentScheduleView[]> {
    const rows: ScheduleRow[] = await this.db.query(
      `SELECT * FROM agent_schedule ORDER BY last_run_started_at DESC NULLS LAST, agent_id`,
    );
    return rows.map(toView);
  }

  /** Sets an admin override on every matched agent; returns their ids. */
  async setOverride(match: AgentMatch, override: IntervalOverride): Promise<string[]> {
    if ((override.intervalMs === undefined) === (override.factor === undefined)) {
      throw new RangeError('an interval override needs exactly one of intervalMs or factor');
    }
    const { where, params } = matchSql(match);
    const n = params.length;
    return this.ids(
      `UPDATE agent_schedule SET override_interval_ms = $${n + 1}, override_factor = $${n + 2},
              override_expires_at = $${n + 3}, override_set_by = $${n + 4}, override_reason = $${n + 5}, updated_at = now()
        WHERE ${where} RETURNING agent_id`,
      [
        ...params,
        override.intervalMs ?? null,
        override.factor ?? null,
        override.expiresAt ?? null,
        override.setBy,
        override.reason,
      ],
    );
  }

  async clearOverride(match: AgentMatch): Promise<string[]> {
    const { where, params } = matchSql(match);
    return this.ids(
      `UPDATE agent_schedule SET override_interval_ms = NULL, override_factor = NULL, override_expires_at = NULL,
              override_set_by = NULL, override_reason = NULL, updated_at = now()
        WHERE ${where} AND (override_interval_ms IS NOT NULL OR override_factor IS NOT NULL) RETURNING agent_id`,
      params,
    );
  }

  async setPaused(match: AgentMatch, paused: boolean): Promise<string[]> {
    const { where, params } = matchSql(match);
    return this.ids(
      `UPDATE agent_schedule SET paused = $${params.length + 1}, updated_at = now() WHERE ${where} RETURNING agent_id`,
      [...params, paused],
    );
  }

  /** Makes matched agents due now. */
  async runNow(match: AgentMatch): Promise<string[]> {
    const { where, params } = matchSql(match);
    return this.ids(
      `UPDATE agent_schedule SET next_run_at = now(), updated_at = now() WHERE ${where} RETURNING agent_id`,
      params,
    );
  }

  /** Records the interval the scheduler computed for many agents in one statement. */
  async updateIntervals(updates: IntervalUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    await this.db.query(
      `UPDATE agent_schedule s
          SET interval_ms = u.interval_ms, interval_reason = u.reason, dynamic_factor = u.factor,
              consecutive_throttles = u.throttles, updated_at = now()
         FROM unnest($1::text[], $2::int[], $3::text[], $4::float8[], $5::int[])
           AS u(agent_id, interval_ms, reason, factor, throttles)
        WHERE s.agent_id = u.agent_id
          AND (s.interval_ms, s.interval_reason, s.dynamic_factor, s.consecutive_throttles)
              IS DISTINCT FROM (u.interval_ms, u.reason, u.factor, u.throttles)`,
      [
        updates.map((u) => u.agentId),
        updates.map((u) => Math.round(u.intervalMs)),
        updates.map((u) => u.reason),
        updates.map((u) => u.dynamicFactor),
        updates.map((u) => u.consecutiveThrottles),
      ],
    );
  }

  /**
   * Moves next runs earlier, never later (`least` of the stored and the given time), in one
   * statement; paused agents are left alone. Returns the ids whose next run moved.
   */
  async bringForward(runs: { agentId: string; runBy: Date }[]): Promise<string[]> {
    if (runs.length === 0) return [];
    return this.ids(
      `UPDATE agent_schedule s SET next_run_at = r.run_by, updated_at = now()
         FROM (SELECT agent_id, min(run_by) AS run_by
                 FROM unnest($1::text[], $2::timestamptz[]) AS u(agent_id, run_by) GROUP BY agent_id) AS r
        WHERE s.agent_id = r.agent_id AND r.run_by < s.next_run_at AND NOT s.paused
        RETURNING s.agent_id`,
      [runs.map((r) => r.agentId), runs.map((r) => r.runBy)],
    );
  }

  private async ids(sql: string, params: unknown[]): Promise<string[]> {
    const rows = returnedRows<{ agent_id: string }>(await this.db.query(sql, params));
    return rows.map((r) => r.agent_id);
  }
}

function matchSql(match: AgentMatch): { where: string; params: unknown[] } {
  const params: unknown[] = [];
  const where = ['TRUE'];
  const add = (column: string, op: string, value: string | undefined) => {
    if (value === undefined) return;
    params.push(value);
    where.push(`${column} ${op} $${params.length}`);
  };
  add('agent_id', `LIKE`, match.agentIdGlob === undefined ? undefined : globToLike(match.agentIdGlob));
  add('account', '=', match.account);
  add('region', '=', match.region);
  add('kind', '=', match.kind);
  if (match.kinds !== undefined) {
    params.push(match.kinds);
    where.push(`kind = ANY($${params.length}::text[])`);
  }
  if (match.overrideSetByPrefix !== undefined) {
    params.push(`${match.overrideSetByPrefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    where.push(`(override_set_by IS NULL OR override_set_by LIKE $${params.length})`);
  }
  return { where: where.join(' AND '), params };
}

interface ScheduleRow {
  agent_id: string;
  provider: string;
  kind: string;
  account: string;
  region: string;
  base_interval_ms: number;
  interval_ms: number;
  interval_reason: string;
  next_run_at: Date;
  paused: boolean;
  override_interval_ms: number | null;
  override_factor: number | null;
  override_expires_at: Date | null;
  override_set_by: string | null;
  override_reason: string | null;
  dynamic_factor: number;
  consecutive_throttles: number;
  last_run_started_at: Date | null;
  last_run_duration_ms: number | null;
  last_additions: number | null;
  last_evictions: number | null;
  last_error: string | null;
  total_additions: string;
  total_evictions: string;
}

function toView(r: ScheduleRow): AgentScheduleView {
  const hasOverride = r.override_interval_ms !== null || r.override_factor !== null;
  return {
    agentId: r.agent_id,
    provider: r.provider,
    kind: r.kind,
    account: r.account,
    region: r.region,
    baseIntervalMs: r.base_interval_ms,
    intervalMs: r.interval_ms,
    intervalReason: r.interval_reason,
    nextRunAt: toDate(r.next_run_at),
    paused: r.paused,
    override: hasOverride
      ? {
          intervalMs: r.override_interval_ms,
          factor: r.override_factor,
          expiresAt: toDateOrNull(r.override_expires_at),
          setBy: r.override_set_by,
          reason: r.override_reason,
        }
      : null,
    dynamicFactor: r.dynamic_factor,
    consecutiveThrottles: r.consecutive_throttles,
    lastRun: r.last_run_started_at
      ? {
          startedAt: toDate(r.last_run_started_at),
          durationMs: r.last_run_duration_ms,
          additions: r.last_additions,
          evictions: r.last_evictions,
          error: r.last_error,
        }
      : null,
    totalAdditions: Number(r.total_additions),
    totalEvictions: Number(r.total_evictions),
  };
}
