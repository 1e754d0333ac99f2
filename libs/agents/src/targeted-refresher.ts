import type { CacheRecord } from './cache-record';

/** One claimed refresh request, as the refresher sees it. */
export interface RefreshItem {
  /** The refresh request's id (for completion). */
  requestId: string;
  /** The cache key to refresh; for a partial target a glob such as `aws:securityGroups:*:sg-0abc:...`. */
  key: string;
  /** AWS identifier to read and what it is (`instanceId`, `autoScalingGroupName`, `securityGroupId` ...). */
  id: string;
  idKind: string;
  partial: boolean;
  /**
   * The request target's other members, when it has any: hints its producer left for the reader
   * (a VPC id, a follow-up's state). Written by this system, but read them defensively.
   */
  hints?: Readonly<Record<string, unknown>>;
}

/** Refresh requests of one account, region and key type: refreshed together with batched calls. */
export interface RefreshBatch {
  account: string;
  region: string;
  type: string;
  items: RefreshItem[];
}

export interface RefreshOutcome {
  /** When the first AWS read started: every item is processed as of this time. */
  readStartedAt: Date;
  /** What AWS returned, as complete cache records (partial targets resolved to full keys). */
  found: CacheRecord[];
  /** Keys AWS no longer has (to evict). */
  missing: string[];
  /** Items that could not be read (throttled, a bad id ...): retried with backoff. */
  failed: { requestId: string; error: string }[];
  /** The agent whose rows these are (eviction scope), e.g. `prod/us-east-1/InstanceCachingAgent`. */
  agentId: string;
  /** Further refreshes this read calls for, in the batch's account and region (see `FollowUpRefresh`). */
  followUps?: FollowUpRefresh[];
}

/**
 * A refresh the worker enqueues after writing an outcome, through the refresh queue (coalesced by
 * key with what is pending there): a related resource that changed with this one, or this one
 * again after a while because it is still settling. Follow-ups are hints: one that cannot be
 * enqueued is logged and dropped (the scheduled reconcile catches up), never fails the batch.
 */
export interface FollowUpRefresh {
  /** Key type and key of the request, as any refresh request has them. */
  type: string;
  key: string;
  /** What to read (`{id, idKind, partial[, pattern]}`), plus hints for that read. */
  target: { id: string; idKind: string; partial: boolean; pattern?: string } & Record<string, unknown>;
  /** Not before this many milliseconds from now; default at once. */
  delayMs?: number;
  /** Only when this outcome's write changed the record with this key (new or different body). */
  ifChanged?: string;
}

/**
 * Re-reads specific resources with batched AWS calls (DescribeInstances with many ids ...).
 * On-demand types (instances, serverGroups, loadBalancers, securityGroups) must have one.
 */
export interface TargetedRefresher {
  /** Key types this refresher serves. */
  readonly types: readonly string[];
  refresh(batch: RefreshBatch, ctx: { signal: AbortSignal; now: () => Date }): Promise<RefreshOutcome>;
}
