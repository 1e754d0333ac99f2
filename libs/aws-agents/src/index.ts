// @event-cache/aws-agents: the built-in AWS caching agents and targeted refreshers (AWS SDK v3),
// per-account credentials (STS AssumeRole), rate-limited clients and the optional AWS Config source.

export { createAwsAgents, type AwsAgents, type AwsAgentsOptions } from './create-aws-agents';
export {
  AWS_AGENT_KINDS,
  AWS_PROVIDER_NAME,
  agentId,
  type AwsAgentAccount,
  type AwsAgentKind,
  type AwsConfig,
  type AwsConfigSource,
} from './aws-agents.model';

// Clients, credentials, rate limiting
export {
  AwsClientPool,
  type AwsClientFactory,
  type AwsClientPoolOptions,
  type AwsService,
} from './clients/aws-client.factory';
export {
  AssumedRoleCredentials,
  roleArn,
  type AssumedRoleOptions,
  type AwsCredentialIdentity,
  type AwsCredentialIdentityProvider,
} from './clients/account-credentials';
export { TokenBucket, type TokenBucketOptions } from './clients/token-bucket';
export { THROTTLING_ERROR_NAMES, describeAwsError, isThrottlingError } from './aws/aws-errors';

// Agents and refreshers (for hosts that wire them one by one, and for new agents to follow)
export { AwsCachingAgent, type AwsScope } from './kinds/aws-caching-agent';
export { AwsTargetedRefresher, type IdReader, type IdReadResult } from './kinds/aws-targeted-refresher';
export { InstanceCachingAgent, InstanceRefresher } from './kinds/instances';
export {
  ClusterCachingAgent,
  ServerGroupRefresher,
  serverGroupRecords,
  type ServerGroupRecords,
} from './kinds/server-groups';
export type { GroupScaling } from './kinds/scaling';
export { LaunchTemplateCachingAgent, LaunchTemplateRefresher } from './kinds/launch-templates';
export {
  AmazonApplicationLoadBalancerCachingAgent,
  LoadBalancerRefresher,
  TargetGroupRefresher,
} from './kinds/load-balancers';
export { SecurityGroupCachingAgent, SecurityGroupRefresher } from './kinds/security-groups';
export { SubnetCachingAgent, SubnetRefresher, VpcCachingAgent, VpcRefresher } from './kinds/networks';
export { CONFIG_RESOURCE_TYPES } from './config-source/config-source.reader';
