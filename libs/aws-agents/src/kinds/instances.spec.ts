import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { RefreshItem } from '@event-cache/agents';
import { instanceKey } from '@event-cache/events';
import { mockClient } from 'aws-sdk-client-mock';
import {
  agentContext,
  describeInstancesPage,
  ec2Error,
  ec2Instance,
  instanceId,
  instancesNotFound,
  REGION,
  requestLimitExceeded,
  scopeFor,
  streamed,
  T0,
} from '../__fixtures__/aws.fixtures';
import { InstanceCachingAgent, InstanceRefresher } from './instances';

const ec2 = mockClient(EC2Client);
const key = (id: string) => instanceKey({ account: 'prod', region: REGION, instanceId: id });
const item = (id: string, n = 0): RefreshItem => ({
  requestId: `req-${n}`,
  key: key(id),
  id,
  idKind: 'instanceId',
  partial: false,
});

function refresher() {
  const scope = scopeFor();
  return new InstanceRefresher(new Map([[scope.account.name, scope.account]]), scope.clients);
}
const batch = (items: RefreshItem[]) => ({ account: 'prod', region: REGION, type: 'instances', items });

beforeEach(() => ec2.reset());

describe('InstanceCachingAgent', () => {
  it('follows NextToken across pages and relates each instance to its server group', async () => {
    ec2.on(DescribeInstancesCommand).callsFake((input: { NextToken?: string }) => {
      switch (input.NextToken) {
        case undefined:
          return describeInstancesPage(
            [ec2Instance(instanceId(1), { asg: 'orders-main-v042' }), ec2Instance(instanceId(2))],
            'eyJ2IjoiMiIsImMiOiJwYWdlMiJ9',
          );
        case 'eyJ2IjoiMiIsImMiOiJwYWdlMiJ9':
          return describeInstancesPage([ec2Instance(instanceId(3), { asg: 'orders-main-v042' })]);
        default:
          throw new Error(`unexpected token ${input.NextToken}`);
      }
    });
    const agent = new InstanceCachingAgent(scopeFor());

    const result = await streamed(agent);

    expect(agent.id).toBe('prod/us-east-1/InstanceCachingAgent');
    expect(agent.authoritativeTypes).toEqual(['instances']);
    expect(result.readStartedAt).toEqual(T0);
    expect(result.resources.map((r) => r.key)).toEqual(
      [instanceId(1), instanceId(2), instanceId(3)].map(key),
    );
    // One page written per DescribeInstances page, as it is read.
    expect(result.pages.map((page) => page.map((r) => r.key))).toEqual([
      [instanceId(1), instanceId(2)].map(key),
      [key(instanceId(3))],
    ]);
    const [first, bastion] = result.resources;
    expect(first.relationships).toEqual({
      serverGroups: ['aws:serverGroups:orders-main:prod:us-east-1:orders-main-v042'],
    });
    expect(first.application).toBe('orders');
    expect(bastion.relationships).toEqual({});
    expect(bastion.application).toBeNull();
    // Attributes are the SDK's Instance in camelCase, dates as ISO strings.
    expect(first.attributes).toMatchObject({
      instanceId: instanceId(1),
      amiLaunchIndex: 0,
      instanceType: 'm5.large',
      launchTime: '2026-02-27T09:14:03.000Z',
      state: { code: 16, name: 'running' },
      privateDnsName: 'ip-10-0-1-17.ec2.internal',
      tags: expect.arrayContaining([{ key: 'aws:autoscaling:groupName', value: 'orders-main-v042' }]),
    });
    const calls = ec2.commandCalls(DescribeInstancesCommand);
    expect(calls.map((c) => c.args[0].input.NextToken)).toEqual([undefined, 'eyJ2IjoiMiIsImMiOiJwYWdlMiJ9']);
    expect(calls[0].args[0].input).toMatchObject({ MaxResults: 1000 });
  });

  it('leaves terminated instances out', async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolves(
        describeInstancesPage([
          ec2Instance(instanceId(1)),
          ec2Instance(instanceId(2), { state: 'terminated' }),
        ]),
      );
    const result = await streamed(new InstanceCachingAgent(scopeFor()));
    expect(result.resources.map((r) => r.key)).toEqual([key(instanceId(1))]);
  });

  it('rejects with the SDK throttling error, name intact, when a later page is throttled', async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce(describeInstancesPage([ec2Instance(instanceId(1))], 'next'))
      .rejectsOnce(requestLimitExceeded());
    await expect(streamed(new InstanceCachingAgent(scopeFor()))).rejects.toMatchObject({
      name: 'RequestLimitExceeded',
      $metadata: { httpStatusCode: 503 },
    });
  });

  it('stops between pages once aborted', async () => {
    const controller = new AbortController();
    ec2.on(DescribeInstancesCommand).callsFake(() => {
      controller.abort();
      return describeInstancesPage([ec2Instance(instanceId(1))], 'next');
    });
    await expect(streamed(new InstanceCachingAgent(scopeFor()), controller.signal)).rejects.toThrow();
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(1);
  });
});

describe('InstanceRefresher', () => {
  it('refreshes 1,000 instance ids of one account/region with one DescribeInstances call (≤ 5)', async () => {
    const ids = Array.from({ length: 1_000 }, (_, i) => instanceId(i + 1));
    ec2
      .on(DescribeInstancesCommand)
      .callsFake((input: { InstanceIds: string[] }) =>
        describeInstancesPage(input.InstanceIds.map((id) => ec2Instance(id, { asg: 'orders-main-v042' }))),
      );

    const outcome = await refresher().refresh(batch(ids.map(item)), agentContext());

    expect(ec2.commandCalls(DescribeInstancesCommand).length).toBeLessThanOrEqual(5);
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(1);
    expect(outcome.found).toHaveLength(1_000);
    expect(outcome.missing).toEqual([]);
    expect(outcome.failed).toEqual([]);
    expect(outcome.agentId).toBe('prod/us-east-1/InstanceCachingAgent');
    expect(outcome.readStartedAt).toEqual(T0);
  });

  it('splits more than 1,000 ids into calls of at most 1,000', async () => {
    const ids = Array.from({ length: 2_500 }, (_, i) => instanceId(i + 1));
    ec2
      .on(DescribeInstancesCommand)
      .callsFake((input: { InstanceIds: string[] }) =>
        describeInstancesPage(input.InstanceIds.map((id) => ec2Instance(id))),
      );
    const outcome = await refresher().refresh(batch(ids.map(item)), agentContext());
    const sizes = ec2.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input.InstanceIds?.length);
    expect(sizes.sort()).toEqual([1000, 1000, 500]);
    expect(outcome.found).toHaveLength(2_500);
  });

  it('isolates the ids InvalidInstanceID.NotFound names and evicts only those', async () => {
    const ids = Array.from({ length: 300 }, (_, i) => instanceId(i + 1));
    const gone = new Set([ids[17], ids[256]]);
    ec2.on(DescribeInstancesCommand).callsFake((input: { InstanceIds: string[] }) => {
      const bad = input.InstanceIds.filter((id) => gone.has(id));
      if (bad.length > 0) throw instancesNotFound(bad);
      return describeInstancesPage(input.InstanceIds.map((id) => ec2Instance(id)));
    });

    const outcome = await refresher().refresh(batch(ids.map(item)), agentContext());

    expect(outcome.missing.sort()).toEqual([...gone].map(key).sort());
    expect(outcome.found).toHaveLength(298);
    expect(outcome.failed).toEqual([]);
    // The batch call, then one retry without the named ids: never one call per id.
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(2);
  });

  it('bisects when the NotFound message names no id', async () => {
    const ids = Array.from({ length: 64 }, (_, i) => instanceId(i + 1));
    ec2.on(DescribeInstancesCommand).callsFake((input: { InstanceIds: string[] }) => {
      if (input.InstanceIds.includes(ids[40]))
        throw ec2Error('InvalidInstanceID.NotFound', 'One or more instance IDs do not exist');
      return describeInstancesPage(input.InstanceIds.map((id) => ec2Instance(id)));
    });

    const outcome = await refresher().refresh(batch(ids.map(item)), agentContext());

    expect(outcome.missing).toEqual([key(ids[40])]);
    expect(outcome.found).toHaveLength(63);
    // 1 + 2 per level of a 64-id bisection (6 levels): logarithmic, not 64.
    expect(ec2.commandCalls(DescribeInstancesCommand).length).toBeLessThanOrEqual(13);
  });

  it('evicts a terminated instance and keeps the others', async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolves(
        describeInstancesPage([
          ec2Instance(instanceId(1)),
          ec2Instance(instanceId(2), { state: 'terminated' }),
        ]),
      );
    const outcome = await refresher().refresh(
      batch([item(instanceId(1)), item(instanceId(2), 1)]),
      agentContext(),
    );
    expect(outcome.found.map((r) => r.key)).toEqual([key(instanceId(1))]);
    expect(outcome.missing).toEqual([key(instanceId(2))]);
  });

  it('asks for the target groups of the server group of an instance it writes with a change', async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolves(
        describeInstancesPage([
          ec2Instance(instanceId(1), { asg: 'orders-main-v042', state: 'shutting-down' }),
          ec2Instance(instanceId(2)),
        ]),
      );
    const outcome = await refresher().refresh(
      batch([item(instanceId(1)), item(instanceId(2), 1)]),
      agentContext(),
    );
    // The bastion (no Auto Scaling group) asks for nothing.
    expect(outcome.followUps).toEqual([
      {
        type: 'targetGroups',
        key: 'targetGroups|prod|us-east-1|autoScalingGroupName|orders-main-v042',
        target: {
          id: 'orders-main-v042',
          idKind: 'autoScalingGroupName',
          partial: true,
          pattern: 'aws:targetGroups:prod:us-east-1:*:instance:*',
          recheckSince: T0.toISOString(),
        },
        ifChanged: key(instanceId(1)),
      },
    ]);
  });

  it('reports a throttled batch as failed with the error name first, and evicts nothing', async () => {
    ec2.on(DescribeInstancesCommand).rejects(requestLimitExceeded());
    const outcome = await refresher().refresh(
      batch([item(instanceId(1)), item(instanceId(2), 1)]),
      agentContext(),
    );
    expect(outcome.failed).toEqual([
      { requestId: 'req-0', error: 'RequestLimitExceeded: Request limit exceeded.' },
      { requestId: 'req-1', error: 'RequestLimitExceeded: Request limit exceeded.' },
    ]);
    expect(outcome.missing).toEqual([]);
    expect(outcome.found).toEqual([]);
  });

  it('fails items of an account or region that is not configured, without calling AWS', async () => {
    const outcome = await refresher().refresh(
      { account: 'prod', region: 'ap-south-1', type: 'instances', items: [item(instanceId(1))] },
      agentContext(),
    );
    expect(outcome.failed).toEqual([
      { requestId: 'req-0', error: 'UnknownAccountRegion: prod/ap-south-1 is not configured' },
    ]);
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(0);
  });
});
