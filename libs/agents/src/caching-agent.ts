import type { CacheRecord } from './cache-record';

/** What a run gets from the scheduler. */
export interface AgentContext {
  /** Aborted when the lease is lost, the replica shuts down or the run times out: stop reading. */
  readonly signal: AbortSignal;
  readonly now: () => Date;
}

/** What a streamed run gets: the context, and when its read started. */
export interface AgentStreamContext extends AgentContext {
  /**
   * When this run's read started: fixed by the runtime before `stream` is called (so before the
   * first AWS call). Every page is written as of this time (never stale over fresh), and it is the
   * eviction cut-off of a complete run.
   */
  readonly readStartedAt: Date;
}

/** One page of a streamed run: the records of one AWS page (or a bounded batch of pages). */
export type AgentPage = readonly CacheRecord[];

/** One complete read of everything an agent is authoritative for (the `load` form). */
export interface AgentLoadResult {
  resources: CacheRecord[];
  /** When the first AWS read of this run started (never stale over fresh, eviction cut-off). */
  readStartedAt: Date;
}

/** What every caching agent is: one per account x region x kind, like Clouddriver's. */
export interface CachingAgentIdentity {
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
}

/**
 * A caching agent that streams: `stream` reads everything of its authoritative types page by page
 * and yields each page as it reads it. The runtime writes a page before it asks for the one after
 * next (it reads at most one page ahead), so a run holds a page or two, not the account.
 * Returning ends the run complete: the agent's rows it yielded in no page are evicted. Throwing
 * (or being aborted) ends it part-way: the pages already written stay, nothing is evicted.
 * Throttling errors are recognised by the scheduler and back off the account/region.
 *
 * ```ts
 * async *stream(ctx: AgentStreamContext) {
 *   let token: string | undefined;
 *   do {
 *     const page = await describeVpcs(token, ctx.signal); // one AWS page
 *     yield (page.Vpcs ?? []).map(toRecord); // written before the page after next is read
 *     token = page.NextToken;
 *   } while (token);
 * }
 * ```
 */
export interface StreamingCachingAgent extends CachingAgentIdentity {
  stream(ctx: AgentStreamContext): AsyncIterable<AgentPage>;
}

/**
 * A caching agent that reads everything before it answers: `load` returns all records of its
 * authoritative types and when the read started, written as one page. Simpler, but the run holds
 * the whole account/region in memory: prefer `StreamingCachingAgent` for anything that pages.
 * Throwing (or being aborted) means the run failed: nothing is written and nothing is evicted.
 */
export interface CachingAgent extends CachingAgentIdentity {
  load(ctx: AgentContext): Promise<AgentLoadResult>;
}

/** Either form: what providers create and the runtime runs. */
export type AnyCachingAgent = StreamingCachingAgent | CachingAgent;

/** Whether the agent streams (an agent with both `stream` and `load` streams). */
export function isStreamingAgent(agent: AnyCachingAgent): agent is StreamingCachingAgent {
  return typeof (agent as Partial<StreamingCachingAgent>).stream === 'function';
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
  create(account: AgentAccount, region: string): AnyCachingAgent;
}
