import {
  BatchGetAggregateResourceConfigCommand,
  BatchGetResourceConfigCommand,
  ConfigServiceClient,
  ConfigServiceServiceException,
  SelectAggregateResourceConfigCommand,
  SelectResourceConfigCommand,
} from '@aws-sdk/client-config-service';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { RefreshItem } from '@event-cache/agents';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ACCOUNT,
  agentContext,
  describeInstancesPage,
  ec2Instance,
  REGION,
  scopeFor,
  streamed,
  VPC,
} from '../__fixtures__/aws.fixtures';
import type { AwsAgentAccount } from '../aws-agents.model';
import { InstanceCachingAgent, InstanceRefresher } from '../kinds/instances';
import { SecurityGroupCachingAgent, SecurityGroupRefresher } from '../kinds/security-groups';

const config = mockClient(ConfigServiceClient);
const ec2 = mockClient(EC2Client);
beforeEach(() => {
  config.reset();
  ec2.reset();
});

const INSTANCE = 'i-0123456789abcdef0';
const SG = 'sg-0123456789abcdef0';

/** An AWS::EC2::Instance configuration as AWS Config records it (SDK v1 field names). */
const instanceConfiguration = (id: string, state = 'running') => ({
  amiLaunchIndex: 0,
  imageId: 'ami-0abcdef1234567890',
  instanceId: id,
  instanceType: 'm5.large',
  launchTime: '2026-02-27T09:14:03.000Z',
  monitoring: { state: 'disabled' },
  placement: { availabilityZone: 'us-east-1a', groupName: '', tenancy: 'default' },
  privateDnsName: 'ip-10-0-1-17.ec2.internal',
  privateIpAddress: '10.0.1.17',
  productCodes: [],
  state: { code: state === 'running' ? 16 : 48, name: state },
  subnetId: 'subnet-0a1b2c3d4e5f60001',
  vpcId: VPC,
  architecture: 'x86_64',
  ebsOptimized: false,
  securityGroups: [{ groupName: 'web', groupId: SG }],
  tags: [
    { key: 'aws:autoscaling:groupName', value: 'orders-main-v042' },
    { key: 'spinnaker:application', value: 'orders' },
  ],
  virtualizationType: 'hvm',
});

const securityGroupConfiguration = {
  description: 'orders-web security group',
  groupName: 'orders-web',
  ipPermissions: [
    {
      fromPort: 7001,
      ipProtocol: 'tcp',
      ipv6Ranges: [],
      prefixListIds: [],
      toPort: 7001,
      userIdGroupPairs: [{ groupId: 'sg-0fedcba9876543210', userId: '123456789012' }],
      ipv4Ranges: [],
      ipRanges: [],
    },
  ],
  ownerId: '123456789012',
  groupId: SG,
  ipPermissionsEgress: [],
  tags: [],
  vpcId: VPC,
};

const selectRow = (resourceId: string, configuration: object, status = 'OK') =>
  JSON.stringify({ resourceId, resourceName: resourceId, configuration, configurationItemStatus: status });

const aggregated: AwsAgentAccount = {
  ...ACCOUNT,
  assumeRole: undefined,
  configSource: { aggregatorName: 'org-aggregator', region: 'us-west-2' },
};
const recorder: AwsAgentAccount = { ...ACCOUNT, assumeRole: undefined, configSource: {} };

describe('AWS Config source', () => {
  it('reads instances through the aggregator, all pages, in its region, scoped to the account/region', async () => {
    config.on(SelectAggregateResourceConfigCommand).callsFake((input: { NextToken?: string }) =>
      input.NextToken
        ? { Results: [selectRow('i-0123456789abcdef1', instanceConfiguration('i-0123456789abcdef1'))] }
        : {
            Results: [
              selectRow(INSTANCE, instanceConfiguration(INSTANCE)),
              selectRow('i-0dead00000000000', instanceConfiguration('i-0dead00000000000'), 'ResourceDeleted'),
            ],
            NextToken: 'Y29uZmlnLXBhZ2UtMg==',
          },
    );
    const scope = scopeFor(aggregated);
    const configClient = jest.spyOn(scope.clients, 'configService');

    const { resources } = await streamed(new InstanceCachingAgent(scope));

    expect(configClient).toHaveBeenCalledWith(aggregated, 'us-west-2');
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(0);
    const calls = config.commandCalls(SelectAggregateResourceConfigCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({ ConfigurationAggregatorName: 'org-aggregator', Limit: 100 });
    expect(calls[0].Expression).toBe(
      "SELECT resourceId, resourceName, configuration, configurationItemStatus WHERE resourceType = 'AWS::EC2::Instance' AND accountId = '123456789012' AND awsRegion = 'us-east-1'",
    );
    expect(calls[1].NextToken).toBe('Y29uZmlnLXBhZ2UtMg==');
    expect(resources.map((r) => r.key)).toEqual([
      `aws:instances:prod:us-east-1:${INSTANCE}`,
      'aws:instances:prod:us-east-1:i-0123456789abcdef1',
    ]);
  });

  it('produces the same record as the EC2 API for the same instance', async () => {
    config
      .on(SelectResourceConfigCommand)
      .resolves({ Results: [selectRow(INSTANCE, instanceConfiguration(INSTANCE))] });
    ec2
      .on(DescribeInstancesCommand)
      .resolves(describeInstancesPage([ec2Instance(INSTANCE, { asg: 'orders-main-v042' })]));

    const [fromConfig] = (await streamed(new InstanceCachingAgent(scopeFor(recorder)))).resources;
    const [fromEc2] = (await streamed(new InstanceCachingAgent(scopeFor()))).resources;

    expect(fromConfig.key).toBe(fromEc2.key);
    expect(fromConfig.relationships).toEqual(fromEc2.relationships);
    expect(fromConfig.application).toBe(fromEc2.application);
    for (const field of [
      'instanceId',
      'imageId',
      'instanceType',
      'launchTime',
      'state',
      'placement',
      'tags',
      'vpcId',
    ]) {
      expect(fromConfig.attributes[field]).toEqual(fromEc2.attributes[field]);
    }
  });

  it('refreshes instances with BatchGetResourceConfig: absent or deleted = gone, unprocessed = failed', async () => {
    const ids = ['i-00000000000000001', 'i-00000000000000002', 'i-00000000000000003', 'i-00000000000000004'];
    config.on(BatchGetResourceConfigCommand).resolves({
      baseConfigurationItems: [
        {
          resourceType: 'AWS::EC2::Instance',
          resourceId: ids[0],
          configurationItemStatus: 'OK',
          configuration: JSON.stringify(instanceConfiguration(ids[0])),
        },
        {
          resourceType: 'AWS::EC2::Instance',
          resourceId: ids[1],
          configurationItemStatus: 'ResourceDeleted',
          configuration: JSON.stringify(instanceConfiguration(ids[1], 'terminated')),
        },
      ],
      unprocessedResourceKeys: [{ resourceType: 'AWS::EC2::Instance', resourceId: ids[3] }],
    });
    const scope = scopeFor(recorder);
    const items = ids.map((id, n): RefreshItem => ({
      requestId: `req-${n}`,
      key: `aws:instances:prod:us-east-1:${id}`,
      id,
      idKind: 'instanceId',
      partial: false,
    }));

    const outcome = await new InstanceRefresher(new Map([['prod', recorder]]), scope.clients).refresh(
      { account: 'prod', region: REGION, type: 'instances', items },
      agentContext(),
    );

    expect(config.commandCalls(BatchGetResourceConfigCommand)[0].args[0].input.resourceKeys).toHaveLength(4);
    expect(outcome.found.map((r) => r.key)).toEqual([items[0].key]);
    expect(outcome.missing).toEqual([items[1].key, items[2].key]);
    expect(outcome.failed).toEqual([
      { requestId: 'req-3', error: expect.stringMatching(/^UnprocessedResource:/) },
    ]);
  });

  it('resolves a security group by id through the aggregator with BatchGetAggregateResourceConfig', async () => {
    config.on(BatchGetAggregateResourceConfigCommand).resolves({
      BaseConfigurationItems: [
        {
          accountId: '123456789012',
          awsRegion: REGION,
          resourceType: 'AWS::EC2::SecurityGroup',
          resourceId: SG,
          resourceName: 'orders-web',
          configurationItemStatus: 'OK',
          configuration: JSON.stringify(securityGroupConfiguration),
        },
      ],
    });
    const scope = scopeFor(aggregated);
    const outcome = await new SecurityGroupRefresher(new Map([['prod', aggregated]]), scope.clients).refresh(
      {
        account: 'prod',
        region: REGION,
        type: 'securityGroups',
        items: [
          {
            requestId: 'req-1',
            key: `aws:securityGroups:*:${SG}:us-east-1:prod:*`,
            id: SG,
            idKind: 'securityGroupId',
            partial: true,
          },
        ],
      },
      agentContext(),
    );
    expect(config.commandCalls(BatchGetAggregateResourceConfigCommand)[0].args[0].input).toEqual({
      ConfigurationAggregatorName: 'org-aggregator',
      ResourceIdentifiers: [
        {
          SourceAccountId: '123456789012',
          SourceRegion: REGION,
          ResourceId: SG,
          ResourceType: 'AWS::EC2::SecurityGroup',
        },
      ],
    });
    expect(outcome.found.map((r) => r.key)).toEqual([
      `aws:securityGroups:orders-web:${SG}:us-east-1:prod:${VPC}`,
    ]);
    // Config's extra SDK v1 `ipRanges` string list is dropped: same rules shape as the EC2 API.
    expect(outcome.found[0].attributes.ipPermissions).toEqual([
      expect.not.objectContaining({ ipRanges: expect.anything() }),
    ]);
  });

  it('surfaces Config throttling with its name (ThrottlingException) from a full read', async () => {
    config.on(SelectResourceConfigCommand).rejects(
      new ConfigServiceServiceException({
        name: 'ThrottlingException',
        message: 'Rate exceeded',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    await expect(streamed(new SecurityGroupCachingAgent(scopeFor(recorder)))).rejects.toMatchObject({
      name: 'ThrottlingException',
    });
  });
});
