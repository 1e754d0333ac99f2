import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribePoliciesCommand,
  DescribeScheduledActionsCommand,
  paginateDescribeAutoScalingGroups,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  paginateDescribeInstances,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { WIRE_SERVICES, type WireService, wireOperation } from './aws-wire';
import { answer } from './demo-api';
import { DemoEstate } from './demo-estate';
import type { DemoEvent } from './demo-events';
import { type AwsEndpoint, startAwsEndpoint } from './demo-server';

/**
 * Real AWS SDK v3 clients against the demo estate's endpoint: what each call returns once the
 * SDK has deserialized the wire format is exactly what the estate holds (every member, dates,
 * numbers, nested lists), pages and errors included.
 */
describe('the demo estate over the AWS wire protocols, read by the AWS SDK', () => {
  let now = Date.parse('2026-03-02T10:00:00Z');
  const events: DemoEvent[] = [];
  const estate = new DemoEstate({
    now: () => now,
    emit: (e) => events.push(e),
    heartbeat: { ruleName: 'event-cache-heartbeat', periodMs: 60_000 },
  });
  let endpoint: AwsEndpoint;
  let ec2: EC2Client;
  let autoScaling: AutoScalingClient;
  let elb: ElasticLoadBalancingV2Client;
  let cloudWatch: CloudWatchClient;

  /** What the estate itself answers, for comparison with what the SDK read off the wire. */
  const truth = (service: WireService['name'], operation: string, input: Record<string, unknown> = {}) =>
    answer(
      estate,
      wireOperation(
        WIRE_SERVICES.find((s) => s.name === service)!,
        operation,
      )!,
      input,
    );

  beforeAll(async () => {
    endpoint = await startAwsEndpoint((operation, input) => answer(estate, operation, input));
    const config = {
      region: 'us-east-1',
      endpoint: endpoint.url,
      credentials: { accessKeyId: 'AKIADEMODEMODEMO0000', secretAccessKey: 'demo-secret' },
      maxAttempts: 1,
    };
    ec2 = new EC2Client(config);
    autoScaling = new AutoScalingClient(config);
    elb = new ElasticLoadBalancingV2Client(config);
    cloudWatch = new CloudWatchClient(config);
  });
  afterAll(async () => {
    for (const client of [ec2, autoScaling, elb, cloudWatch]) client?.destroy();
    await endpoint?.close();
  });

  it('EC2 (EC2 Query): instances, security groups, subnets, VPCs, launch templates and versions, member for member', async () => {
    const instances = await ec2.send(new DescribeInstancesCommand({}));
    expect(instances).toEqual({ $metadata: expect.anything(), ...truth('ec2', 'DescribeInstances') });
    expect(instances.Reservations!.flatMap((r) => r.Instances!)).toHaveLength(8);
    const first = instances.Reservations![0].Instances![0];
    expect(first.LaunchTime).toBeInstanceOf(Date);
    expect(first.Tags).toContainEqual({ Key: 'spinnaker:application', Value: 'shop' });

    for (const [command, operation] of [
      [new DescribeSecurityGroupsCommand({}), 'DescribeSecurityGroups'],
      [new DescribeSubnetsCommand({}), 'DescribeSubnets'],
      [new DescribeVpcsCommand({}), 'DescribeVpcs'],
      [new DescribeLaunchTemplatesCommand({}), 'DescribeLaunchTemplates'],
    ] as const) {
      expect(await ec2.send(command)).toEqual({
        $metadata: expect.anything(),
        ...truth('ec2', operation),
      });
    }
    const versions = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({ Versions: ['$Latest', '$Default'], MaxResults: 200 }),
    );
    expect(versions.LaunchTemplateVersions).toEqual(
      (truth('ec2', 'DescribeLaunchTemplateVersions') as { LaunchTemplateVersions: unknown[] })
        .LaunchTemplateVersions,
    );
    expect(versions.LaunchTemplateVersions).toHaveLength(4);
  });

  it('EC2 filters and ids as the agents send them (Filter.N.Value.M, InstanceId.N)', async () => {
    const all = estate.instances();
    const [a, b] = all;
    const byId = await ec2.send(
      new DescribeInstancesCommand({ InstanceIds: [b.InstanceId!, a.InstanceId!] }),
    );
    expect(byId.Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId))).toEqual([
      b.InstanceId,
      a.InstanceId,
    ]);
    const shop = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'instance-state-name', Values: ['pending', 'running'] },
          { Name: 'tag:spinnaker:application', Values: ['shop'] },
        ],
      }),
    );
    expect(shop.Reservations).toHaveLength(5); // shop-web x3, shop-api x2
    const named = await ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['shop*'] }] }),
    );
    expect(named.SecurityGroups!.map((g) => g.GroupName).sort()).toEqual(['shop', 'shop-elb']);
    const templates = await ec2.send(
      new DescribeLaunchTemplatesCommand({
        Filters: [{ Name: 'launch-template-name', Values: ['search-main-v012'] }],
      }),
    );
    expect(templates.LaunchTemplates!.map((t) => t.LaunchTemplateName)).toEqual(['search-main-v012']);
  });

  it('pages with NextToken (EC2) and NextToken / MaxRecords (Auto Scaling) until the last page', async () => {
    const ids: string[] = [];
    let pages = 0;
    for await (const page of paginateDescribeInstances({ client: ec2, pageSize: 5 }, {})) {
      pages++;
      ids.push(...page.Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId!)));
    }
    expect(pages).toBe(2);
    expect(ids).toEqual(estate.instances().map((i) => i.InstanceId));

    const groups: string[] = [];
    for await (const page of paginateDescribeAutoScalingGroups({ client: autoScaling, pageSize: 3 }, {}))
      groups.push(...page.AutoScalingGroups!.map((g) => g.AutoScalingGroupName!));
    expect(groups).toEqual(['billing-worker-v002', 'search-main-v012', 'shop-api-v004', 'shop-web-v001']);
  });

  it('Auto Scaling (AWS Query): groups, scaling policies and scheduled actions, member for member', async () => {
    expect(await autoScaling.send(new DescribeAutoScalingGroupsCommand({}))).toEqual({
      $metadata: expect.anything(),
      ...truth('autoScaling', 'DescribeAutoScalingGroups'),
    });
    const named = await autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['shop-web-v001', 'gone-v001'] }),
    );
    expect(named.AutoScalingGroups!.map((g) => g.AutoScalingGroupName)).toEqual(['shop-web-v001']);
    expect(named.AutoScalingGroups![0].Instances).toHaveLength(3);
    expect(
      await autoScaling.send(new DescribePoliciesCommand({ AutoScalingGroupName: 'search-main-v012' })),
    ).toEqual({
      $metadata: expect.anything(),
      ...truth('autoScaling', 'DescribePolicies', { AutoScalingGroupName: 'search-main-v012' }),
    });
    const scheduled = await autoScaling.send(new DescribeScheduledActionsCommand({}));
    expect(scheduled.ScheduledUpdateGroupActions).toEqual(estate.scheduledActions);
  });

  it('ELBv2 (AWS Query): load balancers, target groups, listeners, rules, attributes and target health', async () => {
    const lbs = await elb.send(new DescribeLoadBalancersCommand({ PageSize: 400 }));
    expect(lbs).toEqual({
      $metadata: expect.anything(),
      ...truth('elasticLoadBalancingV2', 'DescribeLoadBalancers'),
    });
    const shop = lbs.LoadBalancers!.find((l) => l.LoadBalancerName === 'shop-frontend')!;
    expect(await elb.send(new DescribeTargetGroupsCommand({}))).toEqual({
      $metadata: expect.anything(),
      ...truth('elasticLoadBalancingV2', 'DescribeTargetGroups'),
    });
    const listeners = await elb.send(new DescribeListenersCommand({ LoadBalancerArn: shop.LoadBalancerArn }));
    expect(listeners.Listeners).toEqual(
      estate.listeners.filter((l) => l.LoadBalancerArn === shop.LoadBalancerArn),
    );
    const rules = await elb.send(
      new DescribeRulesCommand({ ListenerArn: listeners.Listeners![0].ListenerArn }),
    );
    expect(rules.Rules!.map((r) => [r.Priority, r.IsDefault])).toEqual([
      ['10', false],
      ['default', true],
    ]);
    expect(rules.Rules![0].Conditions).toEqual([
      { Field: 'path-pattern', Values: ['/api/*'], PathPatternConfig: { Values: ['/api/*'] } },
    ]);
    const attributes = await elb.send(
      new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: shop.LoadBalancerArn }),
    );
    expect(attributes.Attributes).toContainEqual({ Key: 'idle_timeout.timeout_seconds', Value: '60' });
    const web = estate.targetGroups.find((t) => t.TargetGroupName === 'shop-web')!;
    const tgAttributes = await elb.send(
      new DescribeTargetGroupAttributesCommand({ TargetGroupArn: web.TargetGroupArn }),
    );
    expect(tgAttributes.Attributes).toContainEqual({
      Key: 'deregistration_delay.timeout_seconds',
      Value: '30',
    });
    const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: web.TargetGroupArn }));
    expect(health.TargetHealthDescriptions).toEqual(estate.targetHealth(web.TargetGroupArn!));
    expect(health.TargetHealthDescriptions!.map((d) => d.TargetHealth!.State)).toEqual([
      'healthy',
      'healthy',
      'healthy',
    ]);
  });

  it('CloudWatch (AWS JSON 1.0, query compatible): alarms by name, dates in epoch seconds', async () => {
    const names = estate.alarms.map((a) => a.AlarmName!);
    const alarms = await cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: names, MaxRecords: 100 }));
    expect(alarms).toEqual({
      $metadata: expect.anything(),
      ...truth('cloudWatch', 'DescribeAlarms', { AlarmNames: names }),
    });
    expect(alarms.MetricAlarms).toHaveLength(4);
    expect(alarms.MetricAlarms![0].StateUpdatedTimestamp).toBeInstanceOf(Date);
  });

  it('answers unknown ids and bad pages with the errors the SDK and the agents know', async () => {
    await expect(
      ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0', 'i-0fedcba9876543210'] })),
    ).rejects.toMatchObject({
      name: 'InvalidInstanceID.NotFound',
      message: "The instance IDs 'i-0123456789abcdef0, i-0fedcba9876543210' do not exist",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(elb.send(new DescribeLoadBalancersCommand({ Names: ['no-such-lb'] }))).rejects.toMatchObject(
      { name: 'LoadBalancerNotFoundException' },
    );
    await expect(
      elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: 'arn:aws:elasticloadbalancing:x' })),
    ).rejects.toMatchObject({ name: 'TargetGroupNotFoundException' });
    await expect(
      ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: "The filter 'no-such-filter' is invalid",
    });
    await expect(cloudWatch.send(new DescribeAlarmsCommand({ NextToken: 'forged' }))).rejects.toMatchObject({
      name: 'InvalidNextToken',
    });
    await expect(
      autoScaling.send(new DescribeAutoScalingGroupsCommand({ MaxRecords: 101 })),
    ).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it('answers any other Describe call with empty lists, and refuses writes: the estate is read-only', async () => {
    // What generated agents send (tools/nx-plugin): a paged read, a one-call read, a read by id filter.
    const nat = await ec2.send(new DescribeNatGatewaysCommand({ MaxResults: 1000 }));
    expect(nat.NatGateways).toEqual([]);
    expect(nat.NextToken).toBeUndefined();
    expect((await ec2.send(new DescribeAddressesCommand({}))).Addresses).toEqual([]);
    const byId = await ec2.send(
      new DescribeRouteTablesCommand({ Filters: [{ Name: 'route-table-id', Values: ['rtb-1'] }] }),
    );
    expect(byId.RouteTables).toEqual([]);
    await expect(
      ec2.send(new RunInstancesCommand({ ImageId: 'ami-1', MinCount: 1, MaxCount: 1 })),
    ).rejects.toMatchObject({ name: 'UnsupportedOperation' });
  });

  it('a change is read back as it now is: a scale-out adds a pending instance to its group', async () => {
    estate.resize(estate.groups.get('shop-web-v001')!, 4);
    const group = await autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['shop-web-v001'] }),
    );
    expect(group.AutoScalingGroups![0].DesiredCapacity).toBe(4);
    const launched = group.AutoScalingGroups![0].Instances!.find((m) => m.LifecycleState === 'Pending')!;
    const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [launched.InstanceId!] }));
    expect(described.Reservations![0].Instances![0].State).toEqual({ Code: 0, Name: 'pending' });
    now += 10_000;
    estate.advance();
    const running = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [launched.InstanceId!] }));
    expect(running.Reservations![0].Instances![0].State).toEqual({ Code: 16, Name: 'running' });
  });
});
