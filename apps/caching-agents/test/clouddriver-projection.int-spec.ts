import {
  AutoScalingClient,
  type AutoScalingGroup,
  DescribeAutoScalingGroupsCommand,
  DescribePoliciesCommand,
  DescribeScheduledActionsCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import {
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { AWS_AGENT_KINDS } from '@event-cache/aws-agents';
import { refreshRequestFor } from '@event-cache/cache-store';
import {
  ClouddriverCache,
  ClouddriverProjection,
  PROJECTED_TYPES,
} from '@event-cache/clouddriver-projection';
import { configSchema, MetricsService } from '@event-cache/platform';
import { mockClient } from 'aws-sdk-client-mock';
import { ClouddriverOnDemandWatcher } from '../src/clouddriver/clouddriver-on-demand.watcher';
import { ACCOUNT, ProjectionHarness, REGION } from './support/clouddriver-harness';

const VPC = 'vpc-0a1b2c3d4e5f60718';
const SUBNETS = ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'];
const TG_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app-main-tg/73e2d6bc24d8a067';
const LB_ARN =
  'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/app-alb/50dc6c495c0c9188';
const SG_KEY = 'aws:serverGroups:app-main:prod:us-east-1:app-main-v001';

/** What "AWS" has now; the mocks answer from it. */
const aws = {
  groups: new Map<string, AutoScalingGroup>(),
  instances: new Map<string, Instance>(),
};

function instance(id: string, state = 'running', asg = 'app-main-v001'): Instance {
  return {
    InstanceId: id,
    ImageId: 'ami-0abcdef1234567890',
    InstanceType: 'm5.large',
    LaunchTime: new Date('2026-02-27T09:14:03.000Z'),
    Placement: { AvailabilityZone: 'us-east-1a', Tenancy: 'default' },
    PrivateIpAddress: '10.0.1.17',
    State: { Code: state === 'running' ? 16 : 80, Name: state as 'running' },
    SubnetId: SUBNETS[0],
    VpcId: VPC,
    SecurityGroups: [{ GroupName: 'app', GroupId: 'sg-0123456789abcdef0' }],
    Tags: [{ Key: 'aws:autoscaling:groupName', Value: asg }],
  };
}

function group(name: string, instances: string[]): AutoScalingGroup {
  return {
    AutoScalingGroupName: name,
    AutoScalingGroupARN: `arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:5f2c9b1e:autoScalingGroupName/${name}`,
    LaunchTemplate: {
      LaunchTemplateId: 'lt-0a1b2c3d4e5f60718',
      LaunchTemplateName: name,
      Version: '$Latest',
    },
    MinSize: 1,
    MaxSize: 4,
    DesiredCapacity: instances.length,
    DefaultCooldown: 300,
    AvailabilityZones: ['us-east-1a', 'us-east-1b'],
    TargetGroupARNs: [TG_ARN],
    HealthCheckType: 'EC2',
    Instances: instances.map((InstanceId) => ({
      InstanceId,
      AvailabilityZone: 'us-east-1a',
      LifecycleState: 'InService',
      HealthStatus: 'Healthy',
      ProtectedFromScaleIn: false,
    })),
    CreatedTime: new Date('2026-02-27T09:13:40.512Z'),
    SuspendedProcesses: [],
    VPCZoneIdentifier: SUBNETS.join(','),
  };
}

function mockAws() {
  const ec2 = mockClient(EC2Client);
  const autoScaling = mockClient(AutoScalingClient);
  const elb = mockClient(ElasticLoadBalancingV2Client);
  const cloudWatch = mockClient(CloudWatchClient);
  autoScaling.on(DescribePoliciesCommand).resolves({ ScalingPolicies: [] });
  autoScaling.on(DescribeScheduledActionsCommand).resolves({ ScheduledUpdateGroupActions: [] });
  cloudWatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
  elb.on(DescribeListenersCommand).resolves({ Listeners: [] });
  elb.on(DescribeLoadBalancerAttributesCommand).resolves({ Attributes: [] });
  elb.on(DescribeTargetGroupAttributesCommand).resolves({ Attributes: [] });
  // Every running instance of the server group is a healthy target.
  elb.on(DescribeTargetHealthCommand).callsFake(() => ({
    TargetHealthDescriptions: [...aws.instances.values()]
      .filter((i) => i.State?.Name === 'running')
      .map((i) => ({ Target: { Id: i.InstanceId, Port: 7001 }, TargetHealth: { State: 'healthy' } })),
  }));
  ec2.on(DescribeInstancesCommand).callsFake((input: { InstanceIds?: string[] }) => {
    const all = [...aws.instances.values()];
    const found = input.InstanceIds ? all.filter((i) => input.InstanceIds!.includes(i.InstanceId!)) : all;
    return { Reservations: [{ ReservationId: 'r-0a1', OwnerId: '123456789012', Instances: found }] };
  });
  ec2.on(DescribeSubnetsCommand).resolves({
    Subnets: SUBNETS.map((SubnetId, i) => ({
      SubnetId,
      VpcId: VPC,
      AvailabilityZone: `us-east-1${'ab'[i]}`,
      CidrBlock: `10.0.${i + 1}.0/24`,
      State: 'available',
      OwnerId: '123456789012',
    })),
  });
  ec2.on(DescribeVpcsCommand).resolves({
    Vpcs: [
      { VpcId: VPC, CidrBlock: '10.0.0.0/16', State: 'available', IsDefault: false, OwnerId: '123456789012' },
    ],
  });
  ec2.on(DescribeSecurityGroupsCommand).resolves({
    SecurityGroups: [
      {
        GroupId: 'sg-0123456789abcdef0',
        GroupName: 'app',
        Description: 'app',
        OwnerId: '123456789012',
        VpcId: VPC,
        IpPermissions: [
          {
            IpProtocol: 'tcp',
            FromPort: 7001,
            ToPort: 7001,
            UserIdGroupPairs: [{ GroupId: 'sg-0fedcba9876543210', UserId: '123456789012' }],
          },
        ],
        IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      },
    ],
  });
  ec2.on(DescribeLaunchTemplatesCommand).resolves({
    LaunchTemplates: [
      {
        LaunchTemplateId: 'lt-0a1b2c3d4e5f60718',
        LaunchTemplateName: 'app-main-v001',
        CreateTime: new Date('2026-02-27T09:13:00.000Z'),
        DefaultVersionNumber: 1,
        LatestVersionNumber: 1,
      },
    ],
  });
  ec2.on(DescribeLaunchTemplateVersionsCommand).resolves({
    LaunchTemplateVersions: [
      {
        LaunchTemplateId: 'lt-0a1b2c3d4e5f60718',
        LaunchTemplateName: 'app-main-v001',
        VersionNumber: 1,
        DefaultVersion: true,
        CreateTime: new Date('2026-02-27T09:13:00.000Z'),
        LaunchTemplateData: {
          ImageId: 'ami-0abcdef1234567890',
          InstanceType: 'm5.large',
          SecurityGroupIds: ['sg-0123456789abcdef0'],
        },
      },
    ],
  });
  autoScaling
    .on(DescribeAutoScalingGroupsCommand)
    .callsFake((input: { AutoScalingGroupNames?: string[] }) => {
      const all = [...aws.groups.values()];
      const names = input.AutoScalingGroupNames;
      return { AutoScalingGroups: names ? all.filter((g) => names.includes(g.AutoScalingGroupName!)) : all };
    });
  elb.on(DescribeLoadBalancersCommand).resolves({
    LoadBalancers: [
      {
        LoadBalancerArn: LB_ARN,
        LoadBalancerName: 'app-alb',
        DNSName: 'app-alb-1234567890.us-east-1.elb.amazonaws.com',
        VpcId: VPC,
        Type: 'application',
        Scheme: 'internet-facing',
        State: { Code: 'active' },
        CreatedTime: new Date('2025-11-02T18:45:10.120Z'),
        AvailabilityZones: SUBNETS.map((SubnetId, i) => ({ ZoneName: `us-east-1${'ab'[i]}`, SubnetId })),
      },
    ],
  });
  elb.on(DescribeTargetGroupsCommand).resolves({
    TargetGroups: [
      {
        TargetGroupArn: TG_ARN,
        TargetGroupName: 'app-main-tg',
        Protocol: 'HTTP',
        Port: 7001,
        VpcId: VPC,
        TargetType: 'instance',
        LoadBalancerArns: [LB_ARN],
      },
    ],
  });
  return () => {
    ec2.restore();
    autoScaling.restore();
    elb.restore();
    cloudWatch.restore();
  };
}

type Snapshot = Record<string, unknown[]>;

/** Every projected row (without the time it was written) and every relationship row (without its ULID). */
async function snapshot(h: ProjectionHarness, projection: ClouddriverProjection): Promise<Snapshot> {
  const out: Snapshot = {};
  for (const type of PROJECTED_TYPES.filter((t) => t !== 'onDemand')) {
    out[type] = await h.db.sql(
      `SELECT id, agent, application, body_hash, body FROM "${projection.names.resourceTable(type)}" ORDER BY id, agent`,
    );
    out[`${type}_rel`] = await h.db.sql(
      `SELECT id, rel_id, rel_agent, rel_type FROM "${projection.names.relTable(type)}"
        ORDER BY id, rel_type, rel_id, rel_agent`,
    );
  }
  return out;
}

describe('Clouddriver projection of the AWS agents and refreshes (PostgreSQL)', () => {
  let h: ProjectionHarness;
  let restore: () => void;
  const rebuilt = new ClouddriverProjection({ accounts: [ACCOUNT], tableNamespace: 'rebuilt' });

  /** Writes the projection again from the store into other tables: both must be equal. */
  async function expectEqualToRebuild(): Promise<Snapshot> {
    for (const type of PROJECTED_TYPES) {
      await h.db.sql(`TRUNCATE "${rebuilt.names.resourceTable(type)}", "${rebuilt.names.relTable(type)}"`);
    }
    await rebuilt.rebuild((work) => h.store.projectionTransaction(work), { batchSize: 3 });
    const incremental = await snapshot(h, h.projection);
    expect(await snapshot(h, rebuilt)).toEqual(incremental);
    return incremental;
  }

  beforeAll(async () => {
    restore = mockAws();
    h = await ProjectionHarness.open();
    await h.store.projectionTransaction((tx) => rebuilt.init(tx.sql));
  });
  afterAll(async () => {
    restore();
    await h.close();
  });

  it('projects full agent runs, as a rebuild would', async () => {
    aws.groups.set('app-main-v001', group('app-main-v001', ['i-0000000000000000a', 'i-0000000000000000b']));
    for (const id of ['i-0000000000000000a', 'i-0000000000000000b']) aws.instances.set(id, instance(id));
    for (const kind of Object.values(AWS_AGENT_KINDS)) await h.run(kind);

    const rows = await expectEqualToRebuild();
    expect((rows.serverGroups as { id: string }[]).map((r) => r.id)).toEqual([SG_KEY]);
    expect(rows.instances.length).toBe(2);
    expect((rows.clusters as { agent: string }[]).map((r) => r.agent)).toEqual([
      'prod/us-east-1/ClusterCachingAgent',
    ]);
    expect(rows.loadBalancers.length).toBe(1);
    expect(rows.targetGroups.length).toBe(1);
    expect(rows.launchTemplates.length).toBe(1);
    expect(rows.securityGroups.length).toBe(1);
    expect(rows.subnets.length).toBe(2);
    expect(rows.vpcs.length).toBe(1);
    // The launch template is related to its server group (Clouddriver's readers require it).
    expect(rows.launchTemplates_rel).toContainEqual({
      id: 'aws:launchTemplates:prod:us-east-1:app-main-v001',
      rel_id: SG_KEY,
      rel_agent: 'serverGroups:prod/us-east-1/ClusterCachingAgent',
      rel_type: 'serverGroups',
    });
  });

  it('projects an event-driven refresh of one instance, as a rebuild would', async () => {
    aws.instances.set('i-0000000000000000b', instance('i-0000000000000000b', 'stopped'));
    await h.refresh('instances', [
      {
        key: `aws:instances:prod:us-east-1:i-0000000000000000b`,
        id: 'i-0000000000000000b',
        idKind: 'instanceId',
      },
    ]);
    await expectEqualToRebuild();
    const [row] = (await h.rows('instances')).filter((r) => r.id.endsWith(':i-0000000000000000b'));
    expect(row.body.attributes.state).toEqual({ code: 80, name: 'stopped' });
    expect(row.body.attributes.health).toEqual([{ healthClass: 'platform', state: 'Down', type: 'Amazon' }]);
  });

  it('projects an on-demand refresh and marks its onDemand row processed', async () => {
    aws.instances.set('i-0000000000000000c', instance('i-0000000000000000c'));
    aws.groups.set(
      'app-main-v001',
      group('app-main-v001', ['i-0000000000000000a', 'i-0000000000000000b', 'i-0000000000000000c']),
    );
    const asked = new Date(Date.now() - 1_000);
    const [request] = await h.store.refreshes.enqueue([
      refreshRequestFor(
        {
          type: 'serverGroups',
          account: 'prod',
          region: REGION,
          key: SG_KEY,
          partial: false,
          id: 'app-main-v001',
          idKind: 'autoScalingGroupName',
        },
        'on-demand',
        asked,
      ),
    ]);
    const [pending] = await h.rows('onDemand');
    expect(pending.agent).toBe('onDemand');
    expect(pending.body.ttlSeconds).toBe(600);
    expect(pending.body.attributes.cacheTime).toBe(asked.getTime());
    expect(pending.body.attributes.processedTime).toBeUndefined();

    const claimed = await h.store.refreshes.claimBatch({ worker: 'w', limit: 10, claimTtlMs: 60_000 });
    expect(claimed.map((c) => c.id)).toEqual([request.id]);
    const readStartedAt = new Date();
    await h.refresh(
      'serverGroups',
      [{ key: SG_KEY, id: 'app-main-v001', idKind: 'autoScalingGroupName' }],
      readStartedAt,
    );
    await h.store.refreshes.complete('w', [request.id], readStartedAt);

    await expectEqualToRebuild();
    const [processed] = await h.rows('onDemand');
    expect(processed.body.attributes.cacheTime).toBe(asked.getTime());
    expect(processed.body.attributes.processedTime).toBeGreaterThanOrEqual(asked.getTime());
    expect(processed.body.attributes.processedCount).toBe(1);
    const cached = JSON.parse(processed.body.attributes.cacheResults as string) as {
      serverGroups: { id: string }[];
    };
    expect(cached.serverGroups.map((s) => s.id)).toEqual([SG_KEY]);
    const [sg] = await h.rows('serverGroups');
    expect(sg.body.relationships.instances).toHaveLength(3);
  });

  it("turns Clouddriver's own pending onDemand row into a refresh, and marks it processed when done", async () => {
    // What Clouddriver's ClusterCachingAgent.handle writes when Orca asks Clouddriver itself.
    const cacheTime = Date.now() - 5_000;
    await h.db.sql(`DELETE FROM cats_v1_ondemand`);
    await h.db.sql(
      `INSERT INTO cats_v1_ondemand (id, agent, application, body_hash, body, last_updated)
       VALUES ($1, 'onDemand', NULL, 'h', $2, $3)`,
      [
        SG_KEY,
        JSON.stringify({
          attributes: { cacheResults: '{}', cacheTime },
          id: SG_KEY,
          relationships: {},
          ttlSeconds: 600,
        }),
        Date.now(),
      ],
    );
    const config = configSchema.parse({ clouddriver: { cache: { enabled: true } } });
    const watcher = new ClouddriverOnDemandWatcher(
      h.store,
      { ...config, service: 'caching-agents', http: { ...config.http, port: 0 } },
      new MetricsService(),
      new ClouddriverCache(h.projection, null),
    );
    expect(await watcher.poll()).toBe(1);
    const [request] = await h.store.refreshes.claimBatch({ worker: 'w', limit: 10, claimTtlMs: 60_000 });
    expect(request).toMatchObject({ type: 'serverGroups', key: SG_KEY, requestedAt: new Date(cacheTime) });
    expect(request.target).toMatchObject({ id: 'app-main-v001', idKind: 'autoScalingGroupName' });

    const readStartedAt = new Date();
    await h.refresh(
      'serverGroups',
      [{ key: SG_KEY, id: 'app-main-v001', idKind: 'autoScalingGroupName' }],
      readStartedAt,
    );
    await h.store.refreshes.complete('w', [request.id], readStartedAt);
    const [row] = await h.rows('onDemand');
    expect(row.body.attributes).toMatchObject({ cacheTime, processedCount: 1 });
    expect(row.body.attributes.processedTime).toBeGreaterThanOrEqual(cacheTime);
    // Processed: the next pass leaves it alone.
    expect(await watcher.poll()).toBe(0);
  });

  it('evicts a terminated instance with every relationship row pointing at it, as a rebuild would', async () => {
    const key = 'aws:instances:prod:us-east-1:i-0000000000000000c';
    await h.refresh('instances', [{ key, id: 'i-0000000000000000c', idKind: 'instanceId' }]);
    expect((await h.rows('instances')).map((r) => r.id)).toContain(key);
    aws.instances.delete('i-0000000000000000c');
    await h.refresh('instances', [{ key, id: 'i-0000000000000000c', idKind: 'instanceId' }]);
    const rows = await expectEqualToRebuild();
    expect((rows.instances as { id: string }[]).map((r) => r.id)).not.toContain(key);
    for (const [table, list] of Object.entries(rows).filter(([t]) => t.endsWith('_rel'))) {
      for (const rel of list as { id: string; rel_id: string }[]) {
        expect({ table, ...rel }).not.toMatchObject({ rel_id: key });
        expect({ table, ...rel }).not.toMatchObject({ id: key });
      }
    }
  });

  it('applies the states EC2 events carry without a read (stopped, terminated), as a rebuild would', async () => {
    const a = 'aws:instances:prod:us-east-1:i-0000000000000000a';
    const b = 'aws:instances:prod:us-east-1:i-0000000000000000b';
    expect((await h.rows('instances')).map((r) => r.id)).toEqual(expect.arrayContaining([a, b]));
    const at = new Date(); // after the reads that wrote both rows
    const result = await h.store.resources.applyInstanceStates([
      { key: a, state: 'stopped', at },
      { key: b, state: 'terminated', at },
    ]);
    expect(result).toEqual({ evicted: [b], patched: [a], unresolved: [] });

    const rows = await expectEqualToRebuild();
    const [row] = (await h.rows('instances')).filter((r) => r.id === a);
    expect(row.body.attributes.state).toEqual({ code: 80, name: 'stopped' });
    expect(row.body.attributes.health).toEqual([{ healthClass: 'platform', state: 'Down', type: 'Amazon' }]);
    expect((rows.instances as { id: string }[]).map((r) => r.id)).not.toContain(b);
    const relationships = Object.entries(rows).filter(([table]) => table.endsWith('_rel'));
    expect(JSON.stringify(relationships)).not.toContain(b);
  });

  it('removes a deleted server group, its cluster and its application, as a rebuild would', async () => {
    // A complete run that still finds something evicts what it no longer finds.
    aws.groups.clear();
    aws.groups.set('other-main-v007', group('other-main-v007', []));
    aws.instances.clear();
    await h.run(AWS_AGENT_KINDS.clusters);
    await h.refresh('instances', [
      {
        key: 'aws:instances:prod:us-east-1:i-0000000000000000a',
        id: 'i-0000000000000000a',
        idKind: 'instanceId',
      },
      {
        key: 'aws:instances:prod:us-east-1:i-0000000000000000b',
        id: 'i-0000000000000000b',
        idKind: 'instanceId',
      },
    ]);
    const rows = await expectEqualToRebuild();
    const ids = (type: string) => (rows[type] as { id: string }[]).map((r) => r.id);
    expect(ids('serverGroups')).toEqual(['aws:serverGroups:other-main:prod:us-east-1:other-main-v007']);
    expect(ids('clusters')).toEqual(['aws:clusters:other:prod:other-main']);
    expect(ids('applications')).toEqual(['aws:applications:other']);
    expect(ids('instances')).toEqual([]);
    expect(ids('health')).toEqual([]);
  });
});
