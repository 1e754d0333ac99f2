import type { AgentPage, AgentStreamContext, CacheRecord, StreamingCachingAgent } from '@event-cache/agents';
import type { AwsClientFactory } from '../clients/aws-client.factory';
import { type AwsAgentAccount, type AwsAgentKind, AWS_PROVIDER_NAME, agentId } from '../aws-agents.model';

/** One account and region with its clients: what every read works on. */
export interface AwsScope {
  readonly account: AwsAgentAccount;
  readonly region: string;
  readonly clients: AwsClientFactory;
}

/**
 * The shape every AWS caching agent shares: Clouddriver's id and kind, and a `stream` that reads
 * everything of its types page by page (the runtime fixes the read start before it is called),
 * each AWS page with the calls that complete it, and hands each on as it is read: the next page
 * is read only once the runtime asks for it. Errors are not caught: a throttled run rejects with
 * the SDK's error, and a run that stops part-way keeps the pages written and evicts nothing.
 */
export abstract class AwsCachingAgent implements StreamingCachingAgent {
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

  async *stream(ctx: AgentStreamContext): AsyncGenerator<AgentPage, void, undefined> {
    ctx.signal.throwIfAborted();
    for await (const page of this.pages(ctx.signal)) {
      ctx.signal.throwIfAborted();
      // AWS pages can come back empty (a filtered DescribeInstances page): nothing to write.
      if (page.length > 0) yield page;
    }
  }

  /** The agent's records, one AWS page (with the calls that complete it) at a time. */
  protected abstract pages(signal: AbortSignal): AsyncIterable<CacheRecord[]>;
}
