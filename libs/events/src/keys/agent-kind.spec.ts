import { AGENT_KINDS, agentKindsForTypes } from './agent-kind';

describe('agent kinds by cache type', () => {
  it('maps cache types to the Clouddriver agent kinds that fill them, once each', () => {
    expect(agentKindsForTypes(['serverGroups', 'clusters', 'applications'])).toEqual(['ClusterCachingAgent']);
    expect(agentKindsForTypes(['targetGroups', 'loadBalancers', 'instances'])).toEqual([
      'AmazonApplicationLoadBalancerCachingAgent',
      'InstanceCachingAgent',
    ]);
  });

  it('skips types it does not know, including prototype names', () => {
    expect(agentKindsForTypes(['images', 'constructor', '__proto__', 'toString'])).toEqual([]);
  });

  it('lists every kind once', () => {
    expect(AGENT_KINDS).toEqual([
      'AmazonApplicationLoadBalancerCachingAgent',
      'ClusterCachingAgent',
      'InstanceCachingAgent',
      'LaunchTemplateCachingAgent',
      'SecurityGroupCachingAgent',
      'SubnetCachingAgent',
      'VpcCachingAgent',
    ]);
  });
});
