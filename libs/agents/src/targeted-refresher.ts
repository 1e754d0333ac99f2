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
