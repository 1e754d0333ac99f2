/**
 * The Clouddriver AWS caching agents whose rows the projection writes, by class name: Clouddriver
 * names an agent `<account>/<region>/<ClassSimpleName>` and stores it in the `agent` column of
 * the rows it owns, and in `rel_agent` (`<relationship type>:<agent>`) of its relationship rows.
 */
export const CLOUDDRIVER_AGENT = {
  cluster: 'ClusterCachingAgent',
  instance: 'InstanceCachingAgent',
  applicationLoadBalancer: 'AmazonApplicationLoadBalancerCachingAgent',
  launchTemplate: 'AmazonLaunchTemplateCachingAgent',
  securityGroup: 'AmazonSecurityGroupCachingAgent',
  subnet: 'AmazonSubnetCachingAgent',
  vpc: 'AmazonVpcCachingAgent',
} as const;

export type ClouddriverAgentClass = (typeof CLOUDDRIVER_AGENT)[keyof typeof CLOUDDRIVER_AGENT];

export function agentType(account: string, region: string, agent: ClouddriverAgentClass): string {
  return `${account}/${region}/${agent}`;
}

/** `rel_agent` of a relationship of type `relType` written by `agent`. */
export function relAgent(relType: string, agent: string): string {
  return `${relType}:${agent}`;
}

/** Every cache type whose tables the projection writes (resource rows or relationship rows). */
export const PROJECTED_TYPES = [
  'applications',
  'clusters',
  'health',
  'images',
  'instances',
  'launchConfigs',
  'launchTemplates',
  'loadBalancers',
  'onDemand',
  'securityGroups',
  'serverGroups',
  'subnets',
  'targetGroups',
  'vpcs',
] as const;

/** The health provider id of Clouddriver's ALB agent (`Keys.getInstanceHealthKey`'s last part). */
export const TARGET_GROUP_HEALTH_ID = 'aws-load-balancer-v2-target-group-instance-health';

export function instanceHealthKey(instanceId: string, account: string, region: string): string {
  return `aws:health:${instanceId}:${account}:${region}:${TARGET_GROUP_HEALTH_ID}`;
}

export function imageKey(imageId: string, account: string, region: string): string {
  return `aws:images:${account}:${region}:${imageId}`;
}

/** Clouddriver's `Keys.getLaunchConfigKey` (a null name gives `...:null`, as in Groovy). */
export function launchConfigKey(name: string | null, account: string, region: string): string {
  return `aws:launchConfigs:${account}:${region}:${name}`;
}
