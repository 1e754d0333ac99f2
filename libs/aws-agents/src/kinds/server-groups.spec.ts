import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { CacheRecord, RefreshItem } from '@event-cache/agents';
import { serverGroupKey } from '@event-cache/events';
import { mockClient } from 'aws-sdk-client-mock';
import {
  agentContext,
  asg,
  autoScalingThrottling,
  instanceId,
  REGION,
  SUBNET_A,
  scopeFor,
  subnets,
  targetGroupArn,
  VPC,
} from '../__fixtures__/aws.fixtures';
import { ClusterCachingAgent, ServerGroupRefresher } from './server-groups';

const autoScaling = mockClient(AutoScalingClient);
const ec2 = mockClient(EC2Client);

beforeEach(() => {
  autoScaling.reset();
  ec2.reset();
  ec2.on(DescribeSubnetsCommand).resolves({ Subnets: subnets });
});

const byKey = (records: CacheRecord[]) => new Map(records.map((r) => [r.key, r]));
const sgKey = (name: string) => serverGroupKey({ account: 'prod', region: REGION, serverGroup: name })!;

describe('ClusterCachingAgent', () => {
  it('caches server groups across pages with clusters and applications derived by Frigga', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).callsFake((input: { NextToken?: string }) =>
      input.NextToken === undefined
        ? {
            AutoScalingGroups: [
              asg('orders-main-v041', { instances: [instanceId(1)] }),
              asg('orders-main-v042', {
                instances: [instanceId(2), instanceId(3)],
                targetGroupArns: [targetGroupArn('orders-main-tg')],
                loadBalancerNames: ['orders-classic'],
              }),
            ],
            NextToken: 'AAEAAWNsdXN0ZXJz',
          }
        : {
            AutoScalingGroups: [asg('Orders-canary-v001'), asg('payments-v007'), asg('not a frigga name!')],
          },
    );
    const agent = new ClusterCachingAgent(scopeFor());

    const result = await agent.load(agentContext());
    const records = byKey(result.resources);

    expect(agent.id).toBe('prod/us-east-1/ClusterCachingAgent');
    expect(agent.authoritativeTypes).toEqual(['serverGroups', 'clusters', 'applications']);
    expect(autoScaling.commandCalls(DescribeAutoScalingGroupsCommand).map((c) => c.args[0].input)).toEqual([
      { MaxRecords: 100, NextToken: undefined },
      { MaxRecords: 100, NextToken: 'AAEAAWNsdXN0ZXJz' },
    ]);
    // One DescribeSubnets for the whole run, not one per group.
    expect(ec2.commandCalls(DescribeSubnetsCommand)).toHaveLength(1);
    expect([...records.keys()].sort()).toEqual([
      'aws:applications:orders',
      'aws:applications:payments',
      'aws:clusters:orders:prod:Orders-canary',
      'aws:clusters:orders:prod:orders-main',
      'aws:clusters:payments:prod:payments',
      'aws:serverGroups:Orders-canary:prod:us-east-1:Orders-canary-v001',
      'aws:serverGroups:orders-main:prod:us-east-1:orders-main-v041',
      'aws:serverGroups:orders-main:prod:us-east-1:orders-main-v042',
      'aws:serverGroups:payments:prod:us-east-1:payments-v007',
    ]);

    const v042 = records.get(sgKey('orders-main-v042'))!;
    expect(v042).toMatchObject({
      type: 'serverGroups',
      account: 'prod',
      region: REGION,
      application: 'orders',
    });
    expect(v042.attributes).toMatchObject({
      name: 'orders-main-v042',
      region: REGION,
      vpcId: VPC,
      asg: {
        autoScalingGroupName: 'orders-main-v042',
        vpcZoneIdentifier: expect.stringContaining(SUBNET_A),
        desiredCapacity: 2,
        createdTime: '2026-02-27T09:13:40.512Z',
      },
    });
    expect(v042.relationships).toEqual({
      applications: ['aws:applications:orders'],
      clusters: ['aws:clusters:orders:prod:orders-main'],
      instances: [instanceId(2), instanceId(3)].map((id) => `aws:instances:prod:us-east-1:${id}`),
      launchTemplates: ['aws:launchTemplates:prod:us-east-1:orders-main-v042'],
      loadBalancers: [`aws:loadBalancers:prod:us-east-1:orders-classic:${VPC}`],
      targetGroups: [`aws:targetGroups:prod:us-east-1:orders-main-tg:instance:${VPC}`],
    });
    expect(records.get('aws:clusters:orders:prod:orders-main')).toMatchObject({
      type: 'clusters',
      account: 'prod',
      application: 'orders',
      attributes: { name: 'orders-main', application: 'orders' },
      relationships: { applications: ['aws:applications:orders'] },
    });
    expect(records.get('aws:applications:orders')).toMatchObject({
      type: 'applications',
      attributes: { name: 'orders' },
    });
    // Every server group of a cluster points at it (the store reads links both ways).
    const inCluster = result.resources.filter((r) =>
      r.relationships?.clusters?.includes('aws:clusters:orders:prod:orders-main'),
    );
    expect(inCluster.map((r) => r.attributes.name).sort()).toEqual(['orders-main-v041', 'orders-main-v042']);
  });

  it('rejects with the Auto Scaling throttling error (name Throttling)', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).rejects(autoScalingThrottling());
    await expect(new ClusterCachingAgent(scopeFor()).load(agentContext())).rejects.toMatchObject({
      name: 'Throttling',
      message: 'Rate exceeded',
    });
  });
});

describe('ServerGroupRefresher', () => {
  const item = (name: string, n: number): RefreshItem => ({
    requestId: `req-${n}`,
    key: sgKey(name),
    id: name,
    idKind: 'autoScalingGroupName',
    partial: false,
  });
  const refresher = () => {
    const scope = scopeFor();
    return new ServerGroupRefresher(new Map([['prod', scope.account]]), scope.clients);
  };

  it('reads 250 server groups with 3 DescribeAutoScalingGroups calls of ≤ 100 names and evicts the gone ones', async () => {
    const names = Array.from({ length: 250 }, (_, i) => `orders-main-v${String(i).padStart(3, '0')}`);
    autoScaling
      .on(DescribeAutoScalingGroupsCommand)
      .callsFake((input: { AutoScalingGroupNames: string[] }) => ({
        AutoScalingGroups: input.AutoScalingGroupNames.filter((n) => n !== 'orders-main-v007').map((n) =>
          asg(n),
        ),
      }));

    const outcome = await refresher().refresh(
      { account: 'prod', region: REGION, type: 'serverGroups', items: names.map(item) },
      agentContext(),
    );

    const calls = autoScaling.commandCalls(DescribeAutoScalingGroupsCommand);
    expect(calls.map((c) => c.args[0].input.AutoScalingGroupNames?.length).sort()).toEqual([100, 100, 50]);
    expect(outcome.missing).toEqual([sgKey('orders-main-v007')]);
    expect(outcome.failed).toEqual([]);
    expect(outcome.agentId).toBe('prod/us-east-1/ClusterCachingAgent');
    const types = outcome.found.reduce<Record<string, number>>(
      (n, r) => ({ ...n, [r.type]: (n[r.type] ?? 0) + 1 }),
      {},
    );
    // The cluster and application come along once, so a brand-new cluster shows immediately.
    expect(types).toEqual({ serverGroups: 249, clusters: 1, applications: 1 });
  });

  it('fails only the chunk that was throttled', async () => {
    const names = Array.from({ length: 150 }, (_, i) => `orders-main-v${String(i).padStart(3, '0')}`);
    autoScaling
      .on(DescribeAutoScalingGroupsCommand)
      .callsFake((input: { AutoScalingGroupNames: string[] }) => {
        if (input.AutoScalingGroupNames.includes('orders-main-v120')) throw autoScalingThrottling();
        return { AutoScalingGroups: input.AutoScalingGroupNames.map((n) => asg(n)) };
      });
    const outcome = await refresher().refresh(
      { account: 'prod', region: REGION, type: 'serverGroups', items: names.map(item) },
      agentContext(),
    );
    expect(outcome.failed).toHaveLength(50);
    expect(outcome.failed[0].error).toBe('Throttling: Rate exceeded');
    expect(outcome.found.filter((r) => r.type === 'serverGroups')).toHaveLength(100);
    expect(outcome.missing).toEqual([]);
  });
});
