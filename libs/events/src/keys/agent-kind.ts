import { type CacheKeyType } from './cache-key.model';

/**
 * The caching agent kind that fills each cache type, in Clouddriver's names (agent ids are
 * `<account>/<region>/<AgentKind>`). The one table shared by the event scheduler (interval changes
 * from events), the admin API and the caching agents.
 */
export const AGENT_KIND_BY_TYPE: Readonly<Record<CacheKeyType, string>> = Object.freeze({
  instances: 'InstanceCachingAgent',
  serverGroups: 'ClusterCachingAgent',
  clusters: 'ClusterCachingAgent',
  applications: 'ClusterCachingAgent',
  launchTemplates: 'LaunchTemplateCachingAgent',
  loadBalancers: 'AmazonApplicationLoadBalancerCachingAgent',
  targetGroups: 'AmazonApplicationLoadBalancerCachingAgent',
  securityGroups: 'SecurityGroupCachingAgent',
  subnets: 'SubnetCachingAgent',
  vpcs: 'VpcCachingAgent',
});

/** Every agent kind of the table, once each, sorted. */
export const AGENT_KINDS: readonly string[] = Object.freeze(
  [...new Set(Object.values(AGENT_KIND_BY_TYPE))].sort(),
);

/** The agent kinds filling `types`, once each and sorted; types not in the table are skipped. */
export function agentKindsForTypes(types: Iterable<string>): string[] {
  const kinds = new Set<string>();
  for (const type of types) {
    if (Object.prototype.hasOwnProperty.call(AGENT_KIND_BY_TYPE, type))
      kinds.add(AGENT_KIND_BY_TYPE[type as CacheKeyType]);
  }
  return [...kinds].sort();
}
