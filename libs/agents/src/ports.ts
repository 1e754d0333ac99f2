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

export interface AgentSchedulesPort {
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
  ): Promise<void>;
  updateIntervals(
    updates: {
      agentId: string;
      intervalMs: number;
      reason: string;
      dynamicFactor: number;
      consecutiveThrottles: number;
    }[],
  ): Promise<void>;
}

export interface CacheWriterPort {
  writeAgentResult(run: {
    agent: string;
    authoritativeTypes: string[];
    resources: CacheRecord[];
    fetchedAt: Date;
    complete: boolean;
    evictWhenEmpty?: boolean;
  }): Promise<{ written: string[]; unchanged: number; stale: number; evicted: string[] }>;
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

export interface RefreshQueuePort {
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

export interface PipelineHealthPort {
  list(now: Date): Promise<{ account: string; region: string; healthy: boolean; healthyUntil: Date }[]>;
}

export const AGENT_LEASES = Symbol('AGENT_LEASES');
export const AGENT_SCHEDULES = Symbol('AGENT_SCHEDULES');
export const CACHE_WRITER = Symbol('CACHE_WRITER');
export const REFRESH_QUEUE = Symbol('REFRESH_QUEUE');
export const PIPELINE_HEALTH = Symbol('PIPELINE_HEALTH');
