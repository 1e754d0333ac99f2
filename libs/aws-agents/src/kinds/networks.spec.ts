import { DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import {
  agentContext,
  REGION,
  scopeFor,
  streamed,
  SUBNET_A,
  subnets,
  VPC,
} from '../__fixtures__/aws.fixtures';
import { SubnetCachingAgent, SubnetRefresher, VpcCachingAgent } from './networks';

const ec2 = mockClient(EC2Client);
beforeEach(() => ec2.reset());

describe('SubnetCachingAgent and VpcCachingAgent', () => {
  it('cache subnets related to their VPC, and VPCs', async () => {
    ec2
      .on(DescribeSubnetsCommand)
      .callsFake((input: { NextToken?: string }) =>
        input.NextToken ? { Subnets: [subnets[1]] } : { Subnets: [subnets[0]], NextToken: 'c3VibmV0cw==' },
      );
    ec2.on(DescribeVpcsCommand).resolves({
      Vpcs: [
        {
          VpcId: VPC,
          CidrBlock: '10.0.0.0/16',
          State: 'available',
          IsDefault: false,
          OwnerId: '123456789012',
        },
      ],
    });

    const subnetRun = await streamed(new SubnetCachingAgent(scopeFor()));
    const vpcRun = await streamed(new VpcCachingAgent(scopeFor()));

    expect(subnetRun.resources.map((r) => r.key)).toEqual([
      `aws:subnets:${SUBNET_A}:prod:us-east-1`,
      `aws:subnets:${subnets[1].SubnetId}:prod:us-east-1`,
    ]);
    expect(subnetRun.resources[0].relationships).toEqual({ vpcs: [`aws:vpcs:${VPC}:prod:us-east-1`] });
    expect(vpcRun.resources).toMatchObject([
      { key: `aws:vpcs:${VPC}:prod:us-east-1`, type: 'vpcs', attributes: { cidrBlock: '10.0.0.0/16' } },
    ]);
  });

  it('refresh subnets by id with the subnet-id filter; an unknown id is gone', async () => {
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [subnets[0]] });
    const scope = scopeFor();
    const gone = 'subnet-0ffffffffffffffff';
    const outcome = await new SubnetRefresher(new Map([['prod', scope.account]]), scope.clients).refresh(
      {
        account: 'prod',
        region: REGION,
        type: 'subnets',
        items: [SUBNET_A, gone].map((id, n) => ({
          requestId: `req-${n}`,
          key: `aws:subnets:${id}:prod:us-east-1`,
          id,
          idKind: 'subnetId',
          partial: false,
        })),
      },
      agentContext(),
    );
    expect(ec2.commandCalls(DescribeSubnetsCommand)[0].args[0].input.Filters).toEqual([
      { Name: 'subnet-id', Values: [SUBNET_A, gone] },
    ]);
    expect(outcome.found.map((r) => r.key)).toEqual([`aws:subnets:${SUBNET_A}:prod:us-east-1`]);
    expect(outcome.missing).toEqual([`aws:subnets:${gone}:prod:us-east-1`]);
    expect(outcome.agentId).toBe('prod/us-east-1/SubnetCachingAgent');
  });
});
