import type { AgentContext, AgentLoadResult, CacheRecord, CachingAgent } from '@event-cache/agents';
import type { AwsClientFactory } from '../clients/aws-client.factory';
import { type AwsAgentAccount, type AwsAgentKind, AWS_PROVIDER_NAME, agentId } from '../aws-agents.model';

/** One account and region with its clients: what every read works on. */
export interface AwsScope {
  readonly account: AwsAgentAccount;
  readonly region: string;
  readonly clients: AwsClientFactory;
}

/**
 * The shape every AWS caching agent shares: Clouddriver's id and kind, and a `load` that notes
 * the start time before the first AWS call and then reads everything (all pages) of its types.
 * Errors are not caught: a throttled run rejects with the SDK's error, a failed run writes nothing.
 */
export abstract class AwsCachingAgent implements CachingAgent {
  readonly provider = AWS_PROVIDER_NAME;
  readonly id: string;
  readonly account: string;
  readonly region: string;
  abstract readonly authoritativeTypes: readonly string[];

  protected constructor(
    protected readonly scope: AwsScope,
    readonly kind: AwsAgentKind,
  ) {
    this.account = scope.account.name;
    this.region = scope.region;
    this.id = agentId(this.account, this.region, kind);
  }

  async load(ctx: AgentContext): Promise<AgentLoadResult> {
    const readStartedAt = ctx.now();
    ctx.signal.throwIfAborted();
    const resources = await this.readAll(ctx.signal);
    ctx.signal.throwIfAborted();
    return { resources, readStartedAt };
  }

  protected abstract readAll(signal: AbortSignal): Promise<CacheRecord[]>;
}
