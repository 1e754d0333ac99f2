import { DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { RefreshItem } from '@event-cache/agents';
import { mockClient } from 'aws-sdk-client-mock';
import {
  agentContext,
  ec2Error,
  REGION,
  requestLimitExceeded,
  scopeFor,
  securityGroup,
  streamed,
  VPC,
} from '../__fixtures__/aws.fixtures';
import { SecurityGroupCachingAgent, SecurityGroupRefresher } from './security-groups';

const ec2 = mockClient(EC2Client);
beforeEach(() => ec2.reset());

const SG_WEB = 'sg-0123456789abcdef0';
const SG_DB = 'sg-0fedcba9876543210';
const SG_GONE = 'sg-0aaaaaaaaaaaaaaaa';

function refresher() {
  const scope = scopeFor();
  return new SecurityGroupRefresher(new Map([['prod', scope.account]]), scope.clients);
}
const byId = (id: string, n: number): RefreshItem => ({
  requestId: `req-${n}`,
  key: `aws:securityGroups:*:${id}:us-east-1:prod:*`,
  id,
  idKind: 'securityGroupId',
  partial: true,
});

describe('SecurityGroupCachingAgent', () => {
  it('caches every group across pages with its rules and VPC', async () => {
    ec2
      .on(DescribeSecurityGroupsCommand)
      .callsFake((input: { NextToken?: string }) =>
        input.NextToken
          ? { SecurityGroups: [securityGroup(SG_DB, 'orders-db')] }
          : { SecurityGroups: [securityGroup(SG_WEB, 'orders-web')], NextToken: 'c2ctcGFnZS0y' },
      );
    const agent = new SecurityGroupCachingAgent(scopeFor());
    const { resources } = await streamed(agent);
    expect(agent.id).toBe('prod/us-east-1/SecurityGroupCachingAgent');
    expect(resources.map((r) => r.key)).toEqual([
      `aws:securityGroups:orders-web:${SG_WEB}:us-east-1:prod:${VPC}`,
      `aws:securityGroups:orders-db:${SG_DB}:us-east-1:prod:${VPC}`,
    ]);
    expect(resources[0]).toMatchObject({
      application: 'orders',
      relationships: { vpcs: [`aws:vpcs:${VPC}:prod:us-east-1`] },
      attributes: {
        groupId: SG_WEB,
        ipPermissions: [{ fromPort: 7001, toPort: 7001, userIdGroupPairs: [{ groupId: SG_DB }] }],
      },
    });
  });
});

describe('SecurityGroupRefresher', () => {
  it('resolves partial targets by id to full keys (name and VPC) with one call', async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves({
      SecurityGroups: [securityGroup(SG_WEB, 'orders-web'), securityGroup(SG_DB, 'orders-db')],
    });
    const outcome = await refresher().refresh(
      { account: 'prod', region: REGION, type: 'securityGroups', items: [byId(SG_WEB, 1), byId(SG_DB, 2)] },
      agentContext(),
    );
    expect(outcome.found.map((r) => r.key).sort()).toEqual([
      `aws:securityGroups:orders-db:${SG_DB}:us-east-1:prod:${VPC}`,
      `aws:securityGroups:orders-web:${SG_WEB}:us-east-1:prod:${VPC}`,
    ]);
    expect(outcome.missing).toEqual([]);
    expect(outcome.agentId).toBe('prod/us-east-1/SecurityGroupCachingAgent');
    expect(ec2.commandCalls(DescribeSecurityGroupsCommand)).toHaveLength(1);
    expect(ec2.commandCalls(DescribeSecurityGroupsCommand)[0].args[0].input.GroupIds).toEqual([
      SG_WEB,
      SG_DB,
    ]);
  });

  it('treats InvalidGroup.NotFound as gone for the named group only', async () => {
    ec2.on(DescribeSecurityGroupsCommand).callsFake((input: { GroupIds: string[] }) => {
      if (input.GroupIds.includes(SG_GONE)) {
        throw ec2Error('InvalidGroup.NotFound', `The security group '${SG_GONE}' does not exist`);
      }
      return { SecurityGroups: input.GroupIds.map((id) => securityGroup(id, `g-${id.slice(-4)}`)) };
    });
    const exact: RefreshItem = {
      requestId: 'req-3',
      key: `aws:securityGroups:old:${SG_GONE}:us-east-1:prod:${VPC}`,
      id: SG_GONE,
      idKind: 'securityGroupId',
      partial: false,
    };
    const outcome = await refresher().refresh(
      { account: 'prod', region: REGION, type: 'securityGroups', items: [byId(SG_WEB, 1), exact] },
      agentContext(),
    );
    expect(outcome.found).toHaveLength(1);
    expect(outcome.missing).toEqual([exact.key]);
    expect(ec2.commandCalls(DescribeSecurityGroupsCommand)).toHaveLength(2);
  });

  it('evicts the old key when a group was renamed (exact target, new key written)', async () => {
    ec2
      .on(DescribeSecurityGroupsCommand)
      .resolves({ SecurityGroups: [securityGroup(SG_WEB, 'orders-web-v2')] });
    const stale: RefreshItem = {
      requestId: 'req-1',
      key: `aws:securityGroups:orders-web:${SG_WEB}:us-east-1:prod:${VPC}`,
      id: SG_WEB,
      idKind: 'securityGroupId',
      partial: false,
    };
    const outcome = await refresher().refresh(
      { account: 'prod', region: REGION, type: 'securityGroups', items: [stale] },
      agentContext(),
    );
    expect(outcome.found.map((r) => r.key)).toEqual([
      `aws:securityGroups:orders-web-v2:${SG_WEB}:us-east-1:prod:${VPC}`,
    ]);
    expect(outcome.missing).toEqual([stale.key]);
  });

  it('resolves a name in every VPC it exists in, with the group-name filter', async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves({
      SecurityGroups: [
        securityGroup(SG_WEB, 'orders-web'),
        securityGroup(SG_DB, 'orders-web', 'vpc-0999999999999999a'),
      ],
    });
    const outcome = await refresher().refresh(
      {
        account: 'prod',
        region: REGION,
        type: 'securityGroups',
        items: [
          {
            requestId: 'req-1',
            key: 'aws:securityGroups:orders-web:*:us-east-1:prod:*',
            id: 'orders-web',
            idKind: 'securityGroupName',
            partial: true,
          },
        ],
      },
      agentContext(),
    );
    expect(outcome.found).toHaveLength(2);
    expect(ec2.commandCalls(DescribeSecurityGroupsCommand)[0].args[0].input.Filters).toEqual([
      { Name: 'group-name', Values: ['orders-web'] },
    ]);
  });

  it('fails throttled items with the throttling error name', async () => {
    ec2.on(DescribeSecurityGroupsCommand).rejects(requestLimitExceeded());
    const outcome = await refresher().refresh(
      { account: 'prod', region: REGION, type: 'securityGroups', items: [byId(SG_WEB, 1)] },
      agentContext(),
    );
    expect(outcome.failed).toEqual([
      { requestId: 'req-1', error: 'RequestLimitExceeded: Request limit exceeded.' },
    ]);
    expect(outcome.missing).toEqual([]);
  });
});
