import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribePoliciesCommand,
  DescribeScheduledActionsCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { CacheRecord, RefreshItem } from '@event-cache/agents';
import { serverGroupKey } from '@event-cache/events';
import { mockClient } from 'aws-sdk-client-mock';
import {
  agentContext,
  alarmArn,
  asg,
  autoScalingThrottling,
  cloudWatchThrottling,
  instanceId,
  metricAlarm,
  REGION,
  scalingPolicy,
  scheduledAction,
  scopeFor,
  streamed,
  SUBNET_A,
  subnets,
  T0,
  targetGroupArn,
  VPC,
} from '../__fixtures__/aws.fixtures';
import { ClusterCachingAgent, ServerGroupRefresher } from './server-groups';

const autoScaling = mockClient(AutoScalingClient);
const ec2 = mockClient(EC2Client);
const cloudWatch = mockClient(CloudWatchClient);

beforeEach(() => {
  autoScaling.reset();
  ec2.reset();
  cloudWatch.reset();
  ec2.on(DescribeSubnetsCommand).resolves({ Subnets: subnets });
  autoScaling.on(DescribePoliciesCommand).resolves({ ScalingPolicies: [] });
  autoScaling.on(DescribeScheduledActionsCommand).resolves({ ScheduledUpdateGroupActions: [] });
  cloudWatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
});

type PolicyInput = { AutoScalingGroupName?: string; NextToken?: string; MaxRecords?: number };
const policyCalls = () =>
  autoScaling.commandCalls(DescribePoliciesCommand).map((c) => c.args[0].input as PolicyInput);
const actionCalls = () =>
  autoScaling.commandCalls(DescribeScheduledActionsCommand).map((c) => c.args[0].input as PolicyInput);
const alarmCalls = () => cloudWatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input);

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

    const result = await streamed(agent);
    const records = byKey(result.resources);

    expect(agent.id).toBe('prod/us-east-1/ClusterCachingAgent');
    expect(agent.authoritativeTypes).toEqual(['serverGroups', 'clusters', 'applications']);
    expect(autoScaling.commandCalls(DescribeAutoScalingGroupsCommand).map((c) => c.args[0].input)).toEqual([
      { MaxRecords: 100, NextToken: undefined },
      { MaxRecords: 100, NextToken: 'AAEAAWNsdXN0ZXJz' },
    ]);
    // One DescribeSubnets, DescribePolicies and DescribeScheduledActions listing for the whole
    // run, not one per group or per page.
    expect(ec2.commandCalls(DescribeSubnetsCommand)).toHaveLength(1);
    expect(policyCalls()).toHaveLength(1);
    expect(actionCalls()).toHaveLength(1);
    // A page of server groups per Auto Scaling page, each with its clusters and applications (the
    // orders application again on the second page: found unchanged when written).
    expect(
      result.pages.map((page) => page.filter((r) => r.type !== 'serverGroups').map((r) => r.key)),
    ).toEqual([
      ['aws:clusters:orders:prod:orders-main', 'aws:applications:orders'],
      [
        'aws:clusters:orders:prod:Orders-canary',
        'aws:applications:orders',
        'aws:clusters:payments:prod:payments',
        'aws:applications:payments',
      ],
    ]);
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
      scalingPolicies: [],
      scheduledActions: [],
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
    await expect(streamed(new ClusterCachingAgent(scopeFor()))).rejects.toMatchObject({
      name: 'Throttling',
      message: 'Rate exceeded',
    });
  });

  it("stores each group's scaling policies with the alarms they name that exist, and its scheduled actions", async () => {
    autoScaling
      .on(DescribeAutoScalingGroupsCommand)
      .resolves({ AutoScalingGroups: [asg('orders-main-v042'), asg('payments-v007')] });
    // Region-wide, two pages; the scale-down policy names an alarm that was deleted since.
    autoScaling.on(DescribePoliciesCommand).callsFake((input: PolicyInput) =>
      input.NextToken === undefined
        ? {
            ScalingPolicies: [scalingPolicy('orders-main-v042', 'scale-up', ['orders-main-v042-cpu-high'])],
            NextToken: 'cG9saWNpZXMtMg==',
          }
        : {
            ScalingPolicies: [
              scalingPolicy('orders-main-v042', 'scale-down', ['orders-main-v042-cpu-low']),
              scalingPolicy('orders-canary-v001', 'scale-up', ['orders-canary-v001-cpu-high']),
            ],
          },
    );
    autoScaling.on(DescribeScheduledActionsCommand).resolves({
      ScheduledUpdateGroupActions: [scheduledAction('orders-main-v042', 'weekday-morning')],
    });
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [metricAlarm('orders-main-v042-cpu-high', 'orders-main-v042', 'scale-up')],
      CompositeAlarms: [],
    });

    const { resources } = await streamed(new ClusterCachingAgent(scopeFor()));

    expect(policyCalls()).toEqual([
      { MaxRecords: 100, NextToken: undefined },
      { MaxRecords: 100, NextToken: 'cG9saWNpZXMtMg==' },
    ]);
    expect(actionCalls()).toEqual([{ MaxRecords: 100, NextToken: undefined }]);
    // Only the alarms the policies of the groups read name, not every alarm of the region (the
    // canary's policy belongs to no group of the listing).
    expect(alarmCalls()).toEqual([
      {
        AlarmNames: ['orders-main-v042-cpu-high', 'orders-main-v042-cpu-low'],
        MaxRecords: 100,
        NextToken: undefined,
      },
    ]);
    const byKey = new Map(resources.map((r) => [r.key, r]));
    const v042 = byKey.get(sgKey('orders-main-v042'))!.attributes;
    expect(v042.scalingPolicies).toEqual([
      {
        autoScalingGroupName: 'orders-main-v042',
        policyName: 'scale-down',
        policyARN: expect.stringContaining(':policyName/scale-down'),
        policyType: 'StepScaling',
        adjustmentType: 'ChangeInCapacity',
        metricAggregationType: 'Average',
        stepAdjustments: [{ metricIntervalLowerBound: 0, scalingAdjustment: 1 }],
        alarms: [],
        enabled: true,
      },
      expect.objectContaining({
        policyName: 'scale-up',
        alarms: [
          expect.objectContaining({
            alarmName: 'orders-main-v042-cpu-high',
            alarmArn: alarmArn('orders-main-v042-cpu-high'),
            stateValue: 'OK',
            threshold: 70,
            dimensions: [{ name: 'AutoScalingGroupName', value: 'orders-main-v042' }],
            stateUpdatedTimestamp: '2026-03-01T11:56:02.417Z',
          }),
        ],
      }),
    ]);
    expect(v042.scheduledActions).toEqual([
      expect.objectContaining({
        autoScalingGroupName: 'orders-main-v042',
        scheduledActionName: 'weekday-morning',
        recurrence: '0 7 * * MON-FRI',
        startTime: '2026-03-02T07:00:00.000Z',
        desiredCapacity: 4,
      }),
    ]);
    expect(byKey.get(sgKey('payments-v007'))!.attributes).toMatchObject({
      scalingPolicies: [],
      scheduledActions: [],
    });
  });

  it('asks DescribeAlarms for at most 100 names per call, following NextToken', async () => {
    const names = Array.from({ length: 150 }, (_, i) => `orders-main-v042-alarm-${i}`);
    autoScaling
      .on(DescribeAutoScalingGroupsCommand)
      .resolves({ AutoScalingGroups: [asg('orders-main-v042')] });
    autoScaling.on(DescribePoliciesCommand).resolves({
      ScalingPolicies: [scalingPolicy('orders-main-v042', 'scale-up', names)],
    });
    cloudWatch
      .on(DescribeAlarmsCommand)
      .callsFake((input: { AlarmNames: string[]; NextToken?: string }) =>
        input.AlarmNames.length === 100 && input.NextToken === undefined
          ? { MetricAlarms: [], NextToken: 'YWxhcm1zLTI=' }
          : { MetricAlarms: [metricAlarm(input.AlarmNames[0], 'orders-main-v042', 'scale-up')] },
      );
    const { resources } = await streamed(new ClusterCachingAgent(scopeFor()));
    expect(alarmCalls().map((c) => [c.AlarmNames?.length, c.NextToken])).toEqual(
      expect.arrayContaining([
        [100, undefined],
        [100, 'YWxhcm1zLTI='],
        [50, undefined],
      ]),
    );
    expect(alarmCalls()).toHaveLength(3);
    const [policy] = resources.find((r) => r.key === sgKey('orders-main-v042'))!.attributes
      .scalingPolicies as { alarms: { alarmName: string }[] }[];
    expect(policy.alarms.map((a) => a.alarmName)).toEqual([names[0], names[100]]);
  });

  it.each([
    ['DescribePolicies', () => autoScaling.on(DescribePoliciesCommand).rejects(autoScalingThrottling())],
    [
      'DescribeScheduledActions',
      () => autoScaling.on(DescribeScheduledActionsCommand).rejects(autoScalingThrottling()),
    ],
    ['DescribeAlarms', () => cloudWatch.on(DescribeAlarmsCommand).rejects(cloudWatchThrottling())],
  ])('fails the run when %s is throttled: no server group without its policies', async (_, throttle) => {
    autoScaling
      .on(DescribeAutoScalingGroupsCommand)
      .resolves({ AutoScalingGroups: [asg('orders-main-v042')] });
    autoScaling.on(DescribePoliciesCommand).resolves({
      ScalingPolicies: [scalingPolicy('orders-main-v042', 'scale-up', ['orders-main-v042-cpu-high'])],
    });
    throttle();
    await expect(streamed(new ClusterCachingAgent(scopeFor()))).rejects.toMatchObject({
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
    // 250 groups: one region-wide listing of policies and actions serves all three chunks.
    expect(policyCalls()).toEqual([{ MaxRecords: 100, NextToken: undefined }]);
    expect(actionCalls()).toEqual([{ MaxRecords: 100, NextToken: undefined }]);
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

  it('reads the policies and scheduled actions of a few groups group by group, and only of groups that exist', async () => {
    autoScaling
      .on(DescribeAutoScalingGroupsCommand)
      .resolves({ AutoScalingGroups: [asg('orders-main-v041'), asg('orders-main-v042')] });
    autoScaling.on(DescribePoliciesCommand).callsFake((input: PolicyInput) => ({
      ScalingPolicies: [
        scalingPolicy(input.AutoScalingGroupName!, 'scale-up', [`${input.AutoScalingGroupName}-cpu-high`]),
      ],
    }));
    cloudWatch.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames: string[] }) => ({
      MetricAlarms: input.AlarmNames.map((n) => metricAlarm(n, n.replace(/-cpu-high$/, ''), 'scale-up')),
    }));

    const outcome = await refresher().refresh(
      {
        account: 'prod',
        region: REGION,
        type: 'serverGroups',
        items: ['orders-main-v041', 'orders-main-v042', 'orders-main-v043'].map(item),
      },
      agentContext(),
    );

    expect(
      policyCalls()
        .map((c) => c.AutoScalingGroupName)
        .sort(),
    ).toEqual(['orders-main-v041', 'orders-main-v042']);
    expect(
      actionCalls()
        .map((c) => c.AutoScalingGroupName)
        .sort(),
    ).toEqual(['orders-main-v041', 'orders-main-v042']);
    expect(alarmCalls()).toHaveLength(1);
    const v041 = outcome.found.find((r) => r.key === sgKey('orders-main-v041'))!;
    expect(v041.attributes.scalingPolicies).toEqual([
      expect.objectContaining({
        policyName: 'scale-up',
        alarms: [expect.objectContaining({ alarmName: 'orders-main-v041-cpu-high' })],
      }),
    ]);
    expect(outcome.missing).toEqual([sgKey('orders-main-v043')]);
  });

  it('fails every name when the region-wide listing of a large batch is throttled', async () => {
    const names = Array.from({ length: 30 }, (_, i) => `orders-main-v${String(i).padStart(3, '0')}`);
    autoScaling
      .on(DescribeAutoScalingGroupsCommand)
      .callsFake((input: { AutoScalingGroupNames: string[] }) => ({
        AutoScalingGroups: input.AutoScalingGroupNames.map((n) => asg(n)),
      }));
    autoScaling.on(DescribePoliciesCommand).rejects(autoScalingThrottling());
    const outcome = await refresher().refresh(
      { account: 'prod', region: REGION, type: 'serverGroups', items: names.map(item) },
      agentContext(),
    );
    expect(policyCalls()).toEqual([{ MaxRecords: 100, NextToken: undefined }]);
    expect(outcome.found).toEqual([]);
    expect(new Set(outcome.failed.map((f) => f.error))).toEqual(new Set(['Throttling: Rate exceeded']));
    expect(outcome.failed).toHaveLength(30);
  });

  it('fails the names of a chunk whose alarms could not be read', async () => {
    autoScaling
      .on(DescribeAutoScalingGroupsCommand)
      .resolves({ AutoScalingGroups: [asg('orders-main-v042')] });
    autoScaling.on(DescribePoliciesCommand).resolves({
      ScalingPolicies: [scalingPolicy('orders-main-v042', 'scale-up', ['orders-main-v042-cpu-high'])],
    });
    cloudWatch.on(DescribeAlarmsCommand).rejects(cloudWatchThrottling());
    const outcome = await refresher().refresh(
      { account: 'prod', region: REGION, type: 'serverGroups', items: [item('orders-main-v042', 1)] },
      agentContext(),
    );
    expect(outcome).toMatchObject({
      found: [],
      missing: [],
      failed: [{ requestId: 'req-1', error: 'Throttling: Rate exceeded' }],
    });
  });

  it('asks for the target groups of a group it writes with a change, naming the instances in service', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        asg('orders-main-v042', {
          instances: [instanceId(3), instanceId(2), instanceId(4)],
          lifecycle: { [instanceId(4)]: 'Pending:Wait' },
          targetGroupArns: [targetGroupArn('orders-main-tg')],
        }),
        asg('orders-main-v041'),
      ],
    });
    const outcome = await refresher().refresh(
      {
        account: 'prod',
        region: REGION,
        type: 'serverGroups',
        items: [item('orders-main-v042', 1), item('orders-main-v041', 2)],
      },
      agentContext(),
    );
    expect(outcome.followUps).toEqual([
      {
        type: 'targetGroups',
        key: `aws:targetGroups:prod:us-east-1:orders-main-tg:instance:${VPC}`,
        target: {
          id: targetGroupArn('orders-main-tg'),
          idKind: 'targetGroupArn',
          partial: false,
          recheckSince: T0.toISOString(),
          expectInstances: [instanceId(2), instanceId(3)],
        },
        ifChanged: sgKey('orders-main-v042'),
      },
    ]);
  });
});
