import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { AGENT_KIND_BY_TYPE, type CacheKeyType } from '@event-cache/events';
import { configSchema } from '@event-cache/platform';
import { mockClient } from 'aws-sdk-client-mock';
import {
  agentContext,
  AWS_CONFIG,
  describeInstancesPage,
  ec2Instance,
  scopeFor,
  streamed,
} from './__fixtures__/aws.fixtures';
import { createAwsAgents } from './create-aws-agents';

const ec2 = mockClient(EC2Client);
beforeEach(() => ec2.reset());

const config = configSchema.parse({
  accounts: [
    {
      name: 'prod',
      accountId: '123456789012',
      assumeRole: 'role/spinnaker-managed',
      regions: [{ name: 'us-east-1' }, { name: 'eu-west-1' }],
    },
    {
      name: 'staging',
      accountId: '210987654321',
      regions: [{ name: 'us-west-2' }],
      environment: 'nonprod',
      configSource: { aggregatorName: 'org-aggregator', region: 'us-east-1' },
    },
  ],
  aws: { rateLimitShare: 0.5, endpoint: 'http://localhost:4566' },
});

describe('createAwsAgents', () => {
  it('accepts the validated config: aws defaults and per-account configSource', () => {
    expect(config.aws).toEqual({
      ...AWS_CONFIG,
      rateLimitShare: 0.5,
      endpoint: 'http://localhost:4566',
    });
    expect(config.accounts[1].configSource).toEqual({
      aggregatorName: 'org-aggregator',
      region: 'us-east-1',
    });
    expect(() =>
      configSchema.parse({ accounts: [{ ...config.accounts[0], configSource: { aggregator: 'typo' } }] }),
    ).toThrow();
  });

  it("provides Clouddriver's agent kinds, one agent per account and region, and the on-demand refreshers", () => {
    const { providers, refreshers, close } = createAwsAgents({ accounts: config.accounts, aws: config.aws });
    expect(providers.map((p) => p.kind)).toEqual([
      'InstanceCachingAgent',
      'ClusterCachingAgent',
      'LaunchTemplateCachingAgent',
      'AmazonApplicationLoadBalancerCachingAgent',
      'SecurityGroupCachingAgent',
      'SubnetCachingAgent',
      'VpcCachingAgent',
    ]);
    const ids = config.accounts.flatMap((account) =>
      account.regions.flatMap((region) => providers.map((p) => p.create(account, region.name).id)),
    );
    expect(ids).toHaveLength(21);
    expect(new Set(ids).size).toBe(21);
    expect(ids).toContain('staging/us-west-2/ClusterCachingAgent');
    const agent = providers[0].create(config.accounts[0], 'eu-west-1');
    expect(agent).toMatchObject({
      provider: 'aws',
      account: 'prod',
      region: 'eu-west-1',
      kind: 'InstanceCachingAgent',
    });
    expect(refreshers.flatMap((r) => r.types)).toEqual([
      'instances',
      'serverGroups',
      'loadBalancers',
      'targetGroups',
      'securityGroups',
      'launchTemplates',
      'subnets',
      'vpcs',
    ]);
    close();
  });

  it('agrees with the shared type -> agent kind table on who owns each type (eviction scope)', async () => {
    ec2.on(DescribeInstancesCommand).resolves(describeInstancesPage([]));
    const scope = scopeFor();
    const { providers, refreshers } = createAwsAgents({
      accounts: [scope.account],
      aws: AWS_CONFIG,
      clientFactory: scope.clients,
    });
    for (const provider of providers) {
      for (const type of provider.create(scope.account, 'us-east-1').authoritativeTypes) {
        expect([type, AGENT_KIND_BY_TYPE[type as CacheKeyType]]).toEqual([type, provider.kind]);
      }
    }
    for (const refresher of refreshers) {
      const [type] = refresher.types;
      const outcome = await refresher.refresh(
        { account: 'prod', region: 'us-east-1', type, items: [] },
        agentContext(),
      );
      expect(outcome.agentId).toBe(`prod/us-east-1/${AGENT_KIND_BY_TYPE[type as CacheKeyType]}`);
    }
  });

  it('runs agents through the given client factory', async () => {
    ec2.on(DescribeInstancesCommand).resolves(describeInstancesPage([ec2Instance('i-0123456789abcdef0')]));
    const scope = scopeFor();
    const { providers } = createAwsAgents({
      accounts: [scope.account],
      aws: AWS_CONFIG,
      clientFactory: scope.clients,
    });
    const ec2Factory = jest.spyOn(scope.clients, 'ec2');
    const result = await streamed(providers[0].create(scope.account, 'us-east-1'));
    expect(result.resources.map((r) => r.key)).toEqual(['aws:instances:prod:us-east-1:i-0123456789abcdef0']);
    expect(ec2Factory).toHaveBeenCalledWith(scope.account, 'us-east-1');
  });
});
