import type { AgentAccount } from '@event-cache/agents';
import type { AppConfig } from '@event-cache/platform';

/** The `aws` configuration section (rate limits, retries, endpoints, assume-role settings). */
export type AwsConfig = AppConfig['aws'];

/** Where an account's inventory comes from when it is read through AWS Config. */
export interface AwsConfigSource {
  /** A configuration aggregator; without it the account's own recorder of each region is queried. */
  aggregatorName?: string;
  /** Region of the aggregator (default: the region being cached). */
  region?: string;
  /** Role to call the aggregator with (ARN or `role/<name>`); default: the account's credentials. */
  assumeRole?: string;
}

/** An account as the AWS agents need it: the SDK's `AgentAccount` plus the optional Config source. */
export interface AwsAgentAccount extends AgentAccount {
  configSource?: AwsConfigSource;
}

/** Provider id of every AWS agent (Clouddriver's `aws`). */
export const AWS_PROVIDER_NAME = 'aws';

/** Clouddriver's agent kinds. */
export const AWS_AGENT_KINDS = {
  instances: 'InstanceCachingAgent',
  clusters: 'ClusterCachingAgent',
  launchTemplates: 'LaunchTemplateCachingAgent',
  loadBalancers: 'AmazonApplicationLoadBalancerCachingAgent',
  securityGroups: 'SecurityGroupCachingAgent',
  subnets: 'SubnetCachingAgent',
  vpcs: 'VpcCachingAgent',
} as const;
export type AwsAgentKind = (typeof AWS_AGENT_KINDS)[keyof typeof AWS_AGENT_KINDS];

/** `<account>/<region>/<AgentKind>`, Clouddriver's agent id. */
export function agentId(account: string, region: string, kind: AwsAgentKind): string {
  return `${account}/${region}/${kind}`;
}
