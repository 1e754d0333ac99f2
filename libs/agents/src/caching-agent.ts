import type { CacheRecord } from './cache-record';

/** What a run gets from the scheduler. */
export interface AgentContext {
  /** Aborted when the lease is lost or the replica shuts down: stop reading, return nothing. */
  readonly signal: AbortSignal;
  readonly now: () => Date;
}

/** One complete read of everything an agent is authoritative for. */
export interface AgentLoadResult {
  resources: CacheRecord[];
  /** When the first AWS read of this run started (never stale over fresh, eviction cut-off). */
  readStartedAt: Date;
}

/**
 * A caching agent: one per account x region x kind, like Clouddriver's. `load` reads everything of
 * its authoritative types; throwing (or being aborted) means the run failed: nothing is written
 * and nothing is evicted. Throttling errors are recognised by the scheduler and back off the
 * account/region instead of counting as failures.
 */
export interface CachingAgent {
  /** `<account>/<region>/<AgentKind>`, e.g. `prod/us-east-1/InstanceCachingAgent`. */
  readonly id: string;
  readonly provider: string;
  /** Clouddriver's agent type, e.g. `InstanceCachingAgent`. */
  readonly kind: string;
  /** Spinnaker account name. */
  readonly account: string;
  readonly region: string;
  /** Key types this agent owns: after a complete run, its rows of these types that it did not return are evicted. */
  readonly authoritativeTypes: readonly string[];
  /** Base polling interval when the configuration sets none for the kind. */
  readonly defaultIntervalMs?: number;
  load(ctx: AgentContext): Promise<AgentLoadResult>;
}

/** The account fields an agent needs (Clouddriver's `aws.accounts` names). */
export interface AgentAccount {
  name: string;
  accountId: string;
  assumeRole?: string;
  environment: string;
  regions: { name: string }[];
}

/** Creates the agents of one kind for every configured account and region. Registered per kind. */
export interface CachingAgentProvider {
  readonly kind: string;
  create(account: AgentAccount, region: string): CachingAgent;
}
