import type { CacheRecord } from './cache-record';

/**
 * The ports the scheduler and the refresh worker need. The SDK declares them; `libs/cache-store`
 * implements them (its repositories have these shapes); the caching-agents app binds one to the
 * other with these injection tokens. Neither lib imports the other.
 */

export interface LeaseGrant {
  agentId: string;
  token: string;
  expiresAt: Date;
  dueAt: Date | null;
}

export interface LeaseRelease {
  agentId: string;
  token: string;
  nextRunAt: Date;
  run?: { startedAt: Date; durationMs: number; additions: number; evictions: number; error: string | null };
}

export interface AgentLeasesPort {
  acquireDue(options: {
    owner: string;
    ttlMs: number;
    limit: number;
    agentIds?: string[];
  }): Promise<LeaseGrant[]>;
  extend(
    owner: string,
    leases: { agentId: string; token: string }[],
    ttlMs: number,
  ): Promise<{ ok: string[]; lost: string[] }>;
  release(owner: string, releases: LeaseRelease[]): Promise<{ ok: string[]; lost: string[] }>;
  releaseAll(owner: string): Promise<string[]>;
}

/** An agent's schedule as the scheduler reads it back (overrides set by admins, shared factor). */
export interface AgentScheduleState {
  agentId: string;
  kind: string;
  account: string;
  region: string;
  /** The interval last recorded, and why. */
  intervalMs: number;
  intervalReason: string;
  nextRunAt: Date;
  paused: boolean;
  /** An admin's (or an event's) override: an absolute interval or a factor, until `expiresAt`. */
  override: {
    intervalMs: number | null;
    factor: number | null;
    expiresAt: Date | null;
    setBy: string | null;
    reason: string | null;
  } | null;
  /** Throttling back-off factor of the agent's account/region (1 = none). */
  dynamicFactor: number;
  consecutiveThrottles: number;
  lastRun: { startedAt: Date } | null;
}

export interface AgentSchedulesPort {
  /**
   * Adds new agents, refreshes known ones (keeping their schedule state) and marks them seen now.
   * With `affirmAfterMs`, an unchanged agent seen more recently than that is not rewritten.
   */
  register(
    agents: {
      agentId: string;
      provider?: string;
      kind: string;
      account: string;
      region: string;
      baseIntervalMs: number;
      firstRunAt: Date;
    }[],
    options?: { affirmAfterMs?: number },
  ): Promise<void>;
  /**
   * Deletes the agents nobody registered for `unseenForMs` and not leased, with their leases and
   * the cache records they own; returns their ids and how many records went with them.
   */
  retireUnseen(options: { unseenForMs: number }): Promise<{ agentIds: string[]; evicted: number }>;
  updateIntervals(
    updates: {
      agentId: string;
      intervalMs: number;
      reason: string;
      dynamicFactor: number;
      consecutiveThrottles: number;
    }[],
  ): Promise<void>;
  /** Schedules of every agent, or of one account and/or region. */
  list(match?: { account?: string; region?: string }): Promise<AgentScheduleState[]>;
  /**
   * Moves next runs earlier (never later): `next_run_at = least(next_run_at, runBy)`. Used when an
   * interval shrinks (pipeline unhealthy, throttling over, a shorter override). Returns the ids moved.
   */
  bringForward(runs: { agentId: string; runBy: Date }[]): Promise<string[]>;
}

export interface CacheWriterPort {
  /**
   * Writes one page of an agent's run as of `fetchedAt` (the run's read start; never over a row
   * from a newer read) and marks every row of it as seen by `run`, unchanged rows included.
   */
  writeAgentPage(page: {
    agent: string;
    /** The run's id: unique per run (the runtime makes one). */
    run: string;
    resources: readonly CacheRecord[];
    fetchedAt: Date;
  }): Promise<{ written: string[]; unchanged: number; stale: number }>;
  /**
   * Ends a complete run: evicts the agent's rows of `authoritativeTypes` that no page of `run`
   * marked, unless a read that started after `fetchedAt` wrote them. Only a complete run calls it.
   */
  completeAgentRun(run: {
    agent: string;
    run: string;
    authoritativeTypes: readonly string[];
    fetchedAt: Date;
  }): Promise<{ evicted: string[] }>;
  write(
    records: readonly CacheRecord[],
    options: { fetchedAt: Date; agent?: string | null; touchUnchanged?: boolean },
  ): Promise<{ written: string[]; unchanged: number; stale: number }>;
  evict(keys: readonly string[], fetchedAt: Date): Promise<string[]>;
}

export interface ClaimedRefresh {
  id: string;
  type: string;
  key: string;
  account: string;
  region: string;
  target: Record<string, unknown> | null;
  requestedAt: Date;
}

/** A refresh request the worker enqueues itself (a refresher's follow-up). */
export interface FollowUpEnqueue {
  type: string;
  key: string;
  account: string;
  region: string;
  origin: 'event';
  requestedAt: Date;
  target: Record<string, unknown>;
  /** Not claimable before this many milliseconds from now. */
  delayMs?: number;
}

export interface RefreshQueuePort {
  /** Enqueues requests; a pending request for the key absorbs a new one (the earlier claim time wins). */
  enqueue(requests: readonly FollowUpEnqueue[]): Promise<unknown>;
  claimBatch(options: {
    worker: string;
    limit: number;
    claimTtlMs: number;
    types?: string[];
  }): Promise<ClaimedRefresh[]>;
  complete(worker: string, ids: readonly string[], readStartedAt: Date): Promise<string[]>;
  fail(
    worker: string,
    failures: readonly { id: string; error: string }[],
    options: { maxAttempts: number; backoffMs: number },
  ): Promise<{ id: string; status: string }[]>;
}

/** Wake-ups when refresh requests are enqueued (PostgreSQL NOTIFY), so idle workers start at once. */
export interface RefreshNotificationsPort {
  /** Calls `onRefresh` on every notification; resolves to the unsubscribe function. */
  subscribe(onRefresh: () => void): Promise<() => Promise<void>>;
}

export interface PipelineHealthPort {
  list(now: Date): Promise<{ account: string; region: string; healthy: boolean; healthyUntil: Date }[]>;
}

export const AGENT_LEASES = Symbol('AGENT_LEASES');
export const AGENT_SCHEDULES = Symbol('AGENT_SCHEDULES');
export const CACHE_WRITER = Symbol('CACHE_WRITER');
export const REFRESH_QUEUE = Symbol('REFRESH_QUEUE');
export const PIPELINE_HEALTH = Symbol('PIPELINE_HEALTH');
/** Optional: without it, idle refresh workers poll. */
export const REFRESH_NOTIFICATIONS = Symbol('REFRESH_NOTIFICATIONS');
