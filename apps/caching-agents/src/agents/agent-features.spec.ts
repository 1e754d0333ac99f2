import { AgentCatalog } from '@event-cache/agents';
import { loadConfig } from '@event-cache/platform';
import { agentFeatures } from './agent-features';

describe('agentFeatures', () => {
  it("runs Clouddriver's seven AWS agent kinds per account/region and refreshes every on-demand type", () => {
    const config = loadConfig('caching-agents', {});
    const accounts = [
      { name: 'prod', accountId: '123456789012', environment: 'prod', regions: [{ name: 'us-east-1' }] },
    ];
    const features = agentFeatures({ ...config, accounts });
    try {
      const catalog = new AgentCatalog(accounts, features.providers, features.refreshers);
      // The built-in kinds (agents added to custom-agents.ts come on top).
      expect(catalog.agentIds()).toEqual(
        expect.arrayContaining([
          'prod/us-east-1/AmazonApplicationLoadBalancerCachingAgent',
          'prod/us-east-1/ClusterCachingAgent',
          'prod/us-east-1/InstanceCachingAgent',
          'prod/us-east-1/LaunchTemplateCachingAgent',
          'prod/us-east-1/SecurityGroupCachingAgent',
          'prod/us-east-1/SubnetCachingAgent',
          'prod/us-east-1/VpcCachingAgent',
        ]),
      );
      expect(catalog.refreshTypes()).toEqual(
        expect.arrayContaining(['instances', 'serverGroups', 'loadBalancers', 'securityGroups']),
      );
    } finally {
      features.close();
    }
  });
});
