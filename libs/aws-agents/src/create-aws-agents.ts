import type {
  AgentAccount,
  CachingAgentProvider,
  StreamingCachingAgent,
  TargetedRefresher,
} from '@event-cache/agents';
import { type AwsClientFactory, AwsClientPool } from './clients/aws-client.factory';
import type { AwsAgentAccount, AwsAgentKind, AwsConfig } from './aws-agents.model';
import type { AwsCachingAgent, AwsScope } from './kinds/aws-caching-agent';
import { InstanceCachingAgent, InstanceRefresher } from './kinds/instances';
import { LaunchTemplateCachingAgent, LaunchTemplateRefresher } from './kinds/launch-templates';
import {
  AmazonApplicationLoadBalancerCachingAgent,
  LoadBalancerRefresher,
  TargetGroupRefresher,
} from './kinds/load-balancers';
import { SubnetCachingAgent, SubnetRefresher, VpcCachingAgent, VpcRefresher } from './kinds/networks';
import { SecurityGroupCachingAgent, SecurityGroupRefresher } from './kinds/security-groups';
import { ClusterCachingAgent, ServerGroupRefresher } from './kinds/server-groups';

export interface AwsAgentsOptions {
  /** The configured accounts (`config.accounts`); `configSource` switches an account to AWS Config. */
  accounts: readonly AwsAgentAccount[];
  /** The `aws` configuration section. */
  aws: AwsConfig;
  /** Where clients come from; default: an `AwsClientPool` built from `aws`. */
  clientFactory?: AwsClientFactory;
}

export interface AwsAgents {
  /** One provider per agent kind: the scheduler asks each for the agent of every account/region. */
  providers: CachingAgentProvider[];
  /** instances, serverGroups, loadBalancers, targetGroups, securityGroups, launchTemplates, subnets, vpcs. */
  refreshers: TargetedRefresher[];
  /** Closes the clients' connections (only those of the default pool). */
  close(): void;
}

type AgentClass = { KIND: AwsAgentKind } & (new (scope: AwsScope) => AwsCachingAgent);

const AGENT_CLASSES: readonly AgentClass[] = [
  InstanceCachingAgent,
  ClusterCachingAgent,
  LaunchTemplateCachingAgent,
  AmazonApplicationLoadBalancerCachingAgent,
  SecurityGroupCachingAgent,
  SubnetCachingAgent,
  VpcCachingAgent,
];

/**
 * The built-in AWS caching agents and targeted refreshers (docs/architecture.md#refresh, #clouddriver-compatible-force-refresh): Clouddriver's agent
 * kinds, ids and key types, reading AWS with paginated, batched calls through one rate-limited
 * client per account/region/service.
 */
export function createAwsAgents(options: AwsAgentsOptions): AwsAgents {
  const pool = options.clientFactory ? undefined : new AwsClientPool(options.aws);
  const clients = options.clientFactory ?? pool!;
  const accounts = new Map(options.accounts.map((a) => [a.name, a]));
  // The scheduler may hand back its own account objects: use the configured one (with configSource).
  const resolve = (account: AgentAccount): AwsAgentAccount => accounts.get(account.name) ?? account;

  const providers: CachingAgentProvider[] = AGENT_CLASSES.map((Agent) => ({
    kind: Agent.KIND,
    create: (account: AgentAccount, region: string): StreamingCachingAgent =>
      new Agent({ account: resolve(account), region, clients }),
  }));
  const refreshers: TargetedRefresher[] = [
    new InstanceRefresher(accounts, clients),
    new ServerGroupRefresher(accounts, clients),
    new LoadBalancerRefresher(accounts, clients),
    new TargetGroupRefresher(accounts, clients, options.aws.targetHealth),
    new SecurityGroupRefresher(accounts, clients),
    new LaunchTemplateRefresher(accounts, clients),
    new SubnetRefresher(accounts, clients),
    new VpcRefresher(accounts, clients),
  ];
  return { providers, refreshers, close: () => pool?.destroy() };
}
