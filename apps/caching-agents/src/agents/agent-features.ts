import type { CachingAgentProvider, MetricsRegistry, TargetedRefresher } from '@event-cache/agents';
import { AwsClientPool, createAwsAgents } from '@event-cache/aws-agents';
import type { AppConfig } from '@event-cache/platform';
import { customAgents } from './custom-agents';

export interface AgentFeatures {
  providers: CachingAgentProvider[];
  refreshers: TargetedRefresher[];
  /** Counts the agents' AWS requests in the service's metrics (`event_cache_aws_requests_total`). */
  bindMetrics?(registry: MetricsRegistry): void;
  /** Releases what the agents hold (the AWS clients' connections). */
  close(): void;
}

/**
 * Every agent kind and refresher this service runs: the built-in AWS ones (`@event-cache/aws-agents`)
 * plus the app's own, sharing one pool of rate-limited AWS clients per account/region/service.
 */
export function agentFeatures(config: Pick<AppConfig, 'accounts' | 'aws'>): AgentFeatures {
  const clients = new AwsClientPool(config.aws);
  const aws = createAwsAgents({ accounts: config.accounts, aws: config.aws, clientFactory: clients });
  const custom = customAgents({ clients, accounts: config.accounts });
  return {
    providers: [...aws.providers, ...custom.providers],
    refreshers: [...aws.refreshers, ...custom.refreshers],
    bindMetrics: (registry) => clients.bindMetrics(registry),
    close: () => clients.destroy(),
  };
}
