import {
  type AutoScalingGroup,
  AutoScalingClient,
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
  type LaunchTemplateVersion,
  type SecurityGroup,
  type Subnet,
  type Vpc,
} from '@aws-sdk/client-ec2';
import {
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type LoadBalancer,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { AWS_AGENT_KINDS } from '@event-cache/aws-agents';
import { PROJECTED_TYPES, TARGET_GROUP_HEALTH_ID } from '@event-cache/clouddriver-projection';
import { toCacheAttributes } from '@event-cache/events';
import { mockClient } from 'aws-sdk-client-mock';
import { ACCOUNT, ProjectionHarness, REGION } from './support/clouddriver-harness';
import {
  allInstancesUp,
  AmazonClusterProvider,
  clusterJson,
  getApplicationLoadBalancers,
  getInstance,
  Keys,
  loadBalancersByAccountAndRegionAndName,
  securityGroups,
  serverGroupJson,
  shadowedGetters,
  someAreUpAndNoneAreDownOrStarting,
  subnets,
  vpcs,
} from './support/clouddriver-providers';
import { ClouddriverReader, RelationshipCacheFilter } from './support/clouddriver-reader';

/*
 * An unmodified Clouddriver (SQL cache on PostgreSQL, AWS caching agents registered but not
 * scheduled) reading what the projection wrote: the real AWS agents and refreshers run against
 * faked SDK clients and write through the store, and Clouddriver's providers are replayed on the
 * projected tables with SqlCache's own SQL and merge rules. Every test checks what Deck or Orca
 * gets from an endpoint: found, with the fields the providers dereference, in the types they cast.
 */

const ec2 = mockClient(EC2Client);
const autoScaling = mockClient(AutoScalingClient);
const elb = mockClient(ElasticLoadBalancingV2Client);
const cloudWatch = mockClient(CloudWatchClient);

const ACCOUNT_NAME = ACCOUNT.name;
const VPC = 'vpc-0a1b2c3d4e5f60718';
const SUBNET_A = 'subnet-0a1b2c3d4e5f60001';
const SUBNET_B = 'subnet-0a1b2c3d4e5f60002';
const WEB_SG = 'sg-0123456789abcdef0';
const LB_SG = 'sg-0fedcba9876543210';
const AMI = 'ami-0abcdef1234567890';
const T0 = new Date('2026-03-01T12:00:00.000Z');
const ASG_CREATED = new Date('2026-02-27T09:13:40.512Z');
const id = (n: number) => `i-0${n.toString(16).padStart(16, '0')}`;
const ACCOUNT_ID = ACCOUNT.accountId;
const tgArn = (name: string) =>
  `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT_ID}:targetgroup/${name}/73e2d6bc24d8a067`;
const lbArn = (name: string) =>
  `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT_ID}:loadbalancer/app/${name}/50dc6c495c0c9188`;
const sgKey = (name: string, region = REGION) => Keys.serverGroup(name, ACCOUNT_NAME, region);
const instanceKey = (n: number, region = REGION) => Keys.instance(id(n), ACCOUNT_NAME, region);
const TG_KEY = `aws:targetGroups:${ACCOUNT_NAME}:${REGION}:orders-main-tg:instance:${VPC}`;
const LB_KEY = `aws:loadBalancers:${ACCOUNT_NAME}:${REGION}:orders-alb:${VPC}:application`;
const LT_KEY = Keys.launchTemplate('orders-main', ACCOUNT_NAME, REGION);
const ALB_AGENT = `${ACCOUNT_NAME}/${REGION}/${AWS_AGENT_KINDS.loadBalancers}`;

// ---- AWS as the SDK v3 returns it --------------------------------------------------------------

function ec2Instance(
  n: number,
  asg: string,
  state: 'running' | 'pending' | 'terminated' = 'running',
): Instance {
  const codes = { pending: 0, running: 16, terminated: 48 };
  return {
    AmiLaunchIndex: 0,
    ImageId: AMI,
    InstanceId: id(n),
    InstanceType: 'm5.large',
    LaunchTime: new Date('2026-02-27T09:14:03.000Z'),
    Monitoring: { State: 'disabled' },
    Placement: {
      AvailabilityZone: n % 2 === 0 ? 'us-east-1b' : 'us-east-1a',
      GroupName: '',
      Tenancy: 'default',
    },
    PrivateDnsName: `ip-10-0-1-${n}.ec2.internal`,
    PrivateIpAddress: `10.0.1.${n}`,
    ProductCodes: [],
    State: { Code: codes[state], Name: state },
    ...(state === 'terminated' && {
      StateReason: {
        Code: 'Client.UserInitiatedShutdown',
        Message: 'Client.UserInitiatedShutdown: User initiated shutdown',
      },
    }),
    SubnetId: n % 2 === 0 ? SUBNET_B : SUBNET_A,
    VpcId: VPC,
    Architecture: 'x86_64',
    BlockDeviceMappings: [
      {
        DeviceName: '/dev/xvda',
        Ebs: {
          AttachTime: new Date('2026-02-27T09:14:04.000Z'),
          DeleteOnTermination: true,
          Status: 'attached',
          VolumeId: `vol-0${n.toString(16).padStart(16, '0')}`,
        },
      },
    ],
    EbsOptimized: false,
    IamInstanceProfile: {
      Arn: `arn:aws:iam::${ACCOUNT_ID}:instance-profile/BaseIAMRole`,
      Id: 'AIPAEXAMPLEEXAMPLE',
    },
    SecurityGroups: [{ GroupName: 'orders', GroupId: WEB_SG }],
    Tags: [
      { Key: 'aws:autoscaling:groupName', Value: asg },
      { Key: 'spinnaker:application', Value: 'orders' },
    ],
    VirtualizationType: 'hvm',
    MetadataOptions: {
      State: 'applied',
      HttpTokens: 'required',
      HttpPutResponseHopLimit: 2,
      HttpEndpoint: 'enabled',
    },
  };
}

function autoScalingGroup(name: string, instances: number[], lifecycle = 'InService'): AutoScalingGroup {
  return {
    AutoScalingGroupName: name,
    AutoScalingGroupARN: `arn:aws:autoscaling:${REGION}:${ACCOUNT_ID}:autoScalingGroup:5f2c9b1e-8d1a-4b6e-9f0a-0000000000${name.slice(-2)}:autoScalingGroupName/${name}`,
    LaunchTemplate: {
      LaunchTemplateId: 'lt-0a1b2c3d4e5f60718',
      LaunchTemplateName: 'orders-main',
      Version: '$Latest',
    },
    MinSize: instances.length,
    MaxSize: 4,
    DesiredCapacity: instances.length,
    DefaultCooldown: 300,
    AvailabilityZones: ['us-east-1a', 'us-east-1b'],
    LoadBalancerNames: [],
    TargetGroupARNs: [tgArn('orders-main-tg')],
    HealthCheckType: 'ELB',
    HealthCheckGracePeriod: 300,
    Instances: instances.map((n) => ({
      InstanceId: id(n),
      InstanceType: 'm5.large',
      AvailabilityZone: n % 2 === 0 ? 'us-east-1b' : 'us-east-1a',
      LifecycleState: lifecycle as 'InService',
      HealthStatus: 'Healthy',
      LaunchTemplate: {
        LaunchTemplateId: 'lt-0a1b2c3d4e5f60718',
        LaunchTemplateName: 'orders-main',
        Version: '3',
      },
      ProtectedFromScaleIn: false,
    })),
    CreatedTime: ASG_CREATED,
    SuspendedProcesses: [],
    VPCZoneIdentifier: `${SUBNET_A},${SUBNET_B}`,
    EnabledMetrics: [],
    Tags: [
      {
        ResourceId: name,
        ResourceType: 'auto-scaling-group',
        Key: 'spinnaker:application',
        Value: 'orders',
        PropagateAtLaunch: true,
      },
    ],
    TerminationPolicies: ['Default'],
    NewInstancesProtectedFromScaleIn: false,
    ServiceLinkedRoleARN: `arn:aws:iam::${ACCOUNT_ID}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
    CapacityRebalance: false,
  };
}

const launchTemplateVersion = (number: number, isDefault: boolean): LaunchTemplateVersion => ({
  LaunchTemplateId: 'lt-0a1b2c3d4e5f60718',
  LaunchTemplateName: 'orders-main',
  VersionNumber: number,
  VersionDescription: `orders-main build ${number}`,
  DefaultVersion: isDefault,
  CreateTime: new Date(`2026-02-2${number}T08:00:00.000Z`),
  CreatedBy: `arn:aws:sts::${ACCOUNT_ID}:assumed-role/spinnaker-managed/spinnaker`,
  LaunchTemplateData: {
    ImageId: AMI,
    InstanceType: 'm5.large',
    IamInstanceProfile: { Name: 'BaseIAMRole' },
    SecurityGroupIds: [WEB_SG],
    MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 2 },
    UserData: 'IyEvYmluL2Jhc2gKZWNobyBvcmRlcnMK',
  },
});

const loadBalancer: LoadBalancer = {
  LoadBalancerArn: lbArn('orders-alb'),
  DNSName: 'orders-alb-1234567890.us-east-1.elb.amazonaws.com',
  CanonicalHostedZoneId: 'Z35SXDOTRQ7X7K',
  CreatedTime: new Date('2025-11-02T18:45:10.120Z'),
  LoadBalancerName: 'orders-alb',
  Scheme: 'internet-facing',
  VpcId: VPC,
  State: { Code: 'active' },
  Type: 'application',
  AvailabilityZones: [
    { ZoneName: 'us-east-1a', SubnetId: SUBNET_A, LoadBalancerAddresses: [] },
    { ZoneName: 'us-east-1b', SubnetId: SUBNET_B, LoadBalancerAddresses: [] },
  ],
  SecurityGroups: [LB_SG],
  IpAddressType: 'ipv4',
};

const targetGroup: TargetGroup = {
  TargetGroupArn: tgArn('orders-main-tg'),
  TargetGroupName: 'orders-main-tg',
  Protocol: 'HTTP',
  Port: 7001,
  VpcId: VPC,
  HealthCheckProtocol: 'HTTP',
  HealthCheckPort: 'traffic-port',
  HealthCheckEnabled: true,
  HealthCheckIntervalSeconds: 10,
  HealthCheckTimeoutSeconds: 5,
  HealthyThresholdCount: 5,
  UnhealthyThresholdCount: 2,
  HealthCheckPath: '/healthcheck',
  Matcher: { HttpCode: '200-299' },
  LoadBalancerArns: [lbArn('orders-alb')],
  TargetType: 'instance',
  ProtocolVersion: 'HTTP1',
  IpAddressType: 'ipv4',
};

const ordersSecurityGroup: SecurityGroup = {
  Description: 'orders security group',
  GroupName: 'orders',
  GroupId: WEB_SG,
  OwnerId: ACCOUNT_ID,
  VpcId: VPC,
  SecurityGroupArn: `arn:aws:ec2:${REGION}:${ACCOUNT_ID}:security-group/${WEB_SG}`,
  IpPermissions: [
    {
      FromPort: 7001,
      ToPort: 7001,
      IpProtocol: 'tcp',
      IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'office' }],
      Ipv6Ranges: [{ CidrIpv6: '2600:1f18:abcd::/48' }],
      PrefixListIds: [],
      UserIdGroupPairs: [{ GroupId: LB_SG, UserId: ACCOUNT_ID }],
    },
  ],
  IpPermissionsEgress: [
    {
      IpProtocol: '-1',
      IpRanges: [{ CidrIp: '0.0.0.0/0' }],
      Ipv6Ranges: [],
      PrefixListIds: [],
      UserIdGroupPairs: [],
    },
  ],
  Tags: [{ Key: 'Name', Value: 'orders' }],
};

const lbSecurityGroup: SecurityGroup = {
  Description: 'orders-alb security group',
  GroupName: 'orders-alb',
  GroupId: LB_SG,
  OwnerId: ACCOUNT_ID,
  VpcId: VPC,
  IpPermissions: [
    {
      FromPort: 443,
      ToPort: 443,
      IpProtocol: 'tcp',
      IpRanges: [{ CidrIp: '0.0.0.0/0' }],
      Ipv6Ranges: [],
      PrefixListIds: [],
      UserIdGroupPairs: [],
    },
  ],
  IpPermissionsEgress: [],
  Tags: [],
};

const awsSubnets: Subnet[] = [
  {
    SubnetId: SUBNET_A,
    SubnetArn: `arn:aws:ec2:${REGION}:${ACCOUNT_ID}:subnet/${SUBNET_A}`,
    VpcId: VPC,
    AvailabilityZone: 'us-east-1a',
    AvailabilityZoneId: 'use1-az1',
    AvailableIpAddressCount: 251,
    CidrBlock: '10.0.1.0/24',
    DefaultForAz: false,
    MapPublicIpOnLaunch: false,
    State: 'available',
    OwnerId: ACCOUNT_ID,
    AssignIpv6AddressOnCreation: false,
    Ipv6CidrBlockAssociationSet: [],
    Tags: [
      { Key: 'immutable_metadata', Value: '{"purpose":"internal","target":"ec2"}' },
      { Key: 'Name', Value: 'vpc0.internal.us-east-1a' },
    ],
  },
  {
    SubnetId: SUBNET_B,
    VpcId: VPC,
    AvailabilityZone: 'us-east-1b',
    AvailableIpAddressCount: 248,
    CidrBlock: '10.0.2.0/24',
    DefaultForAz: false,
    MapPublicIpOnLaunch: false,
    State: 'available',
    OwnerId: ACCOUNT_ID,
    Tags: [{ Key: 'Name', Value: 'vpc0.external.us-east-1b' }],
  },
];

const awsVpc: Vpc = {
  VpcId: VPC,
  CidrBlock: '10.0.0.0/16',
  DhcpOptionsId: 'dopt-0a1b2c3d',
  State: 'available',
  OwnerId: ACCOUNT_ID,
  InstanceTenancy: 'default',
  IsDefault: false,
  CidrBlockAssociationSet: [
    {
      AssociationId: 'vpc-cidr-assoc-0a1b2c3d',
      CidrBlock: '10.0.0.0/16',
      CidrBlockState: { State: 'associated' },
    },
  ],
  Tags: [
    { Key: 'Name', Value: 'vpc0' },
    { Key: 'is_deprecated', Value: 'false' },
  ],
};

/** What AWS holds: server groups (name -> instance numbers) and instances. */
interface World {
  groups: AutoScalingGroup[];
  instances: Instance[];
}

function fakeAws(world: World): void {
  ec2.reset();
  autoScaling.reset();
  elb.reset();
  ec2.on(DescribeInstancesCommand).callsFake((input: { InstanceIds?: string[] }) => {
    const wanted = input.InstanceIds;
    const instances = world.instances.filter((i) => !wanted || wanted.includes(i.InstanceId!));
    return {
      Reservations: [
        { ReservationId: 'r-0a1b2c3d4e5f60001', OwnerId: ACCOUNT_ID, Groups: [], Instances: instances },
      ],
    };
  });
  ec2.on(DescribeSubnetsCommand).resolves({ Subnets: awsSubnets });
  ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [awsVpc] });
  ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [ordersSecurityGroup, lbSecurityGroup] });
  ec2.on(DescribeLaunchTemplatesCommand).resolves({
    LaunchTemplates: [
      {
        LaunchTemplateId: 'lt-0a1b2c3d4e5f60718',
        LaunchTemplateName: 'orders-main',
        CreateTime: new Date('2026-02-21T08:00:00.000Z'),
        CreatedBy: `arn:aws:sts::${ACCOUNT_ID}:assumed-role/spinnaker-managed/spinnaker`,
        DefaultVersionNumber: 1,
        LatestVersionNumber: 3,
        Tags: [],
      },
    ],
  });
  ec2
    .on(DescribeLaunchTemplateVersionsCommand)
    .resolves({ LaunchTemplateVersions: [launchTemplateVersion(3, false), launchTemplateVersion(1, true)] });
  autoScaling
    .on(DescribeAutoScalingGroupsCommand)
    .callsFake((input: { AutoScalingGroupNames?: string[] }) => ({
      AutoScalingGroups: world.groups.filter(
        (g) => !input.AutoScalingGroupNames || input.AutoScalingGroupNames.includes(g.AutoScalingGroupName!),
      ),
    }));
  elb.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [loadBalancer] });
  elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [targetGroup] });
  // Reads the agents make that these scenarios do not look at (target health is written below).
  autoScaling.on(DescribePoliciesCommand).resolves({ ScalingPolicies: [] });
  autoScaling.on(DescribeScheduledActionsCommand).resolves({ ScheduledUpdateGroupActions: [] });
  cloudWatch.reset();
  cloudWatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
  elb.on(DescribeListenersCommand).resolves({ Listeners: [] });
  elb.on(DescribeLoadBalancerAttributesCommand).resolves({ Attributes: [] });
  elb.on(DescribeTargetGroupAttributesCommand).resolves({ Attributes: [] });
  elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [] });
}

/** Every agent's run, one after the other, as the scheduler's first cycle does. */
async function runAllAgents(harness: ProjectionHarness, at = T0): Promise<void> {
  for (const kind of Object.values(AWS_AGENT_KINDS)) await harness.run(kind, at);
}

type TargetState = 'initial' | 'healthy';

/**
 * The target group with its target health, as a targeted refresh of it will write it.
 * LEAD: written directly with `store.resources.write` until libs/aws-agents reads target health
 * (feat/aws-reads-for-clouddriver: `targetHealthDescriptions` = toCacheAttributes of each
 * TargetHealthDescription, relationships `loadBalancers` + `instances`); then replace this with a
 * faked DescribeTargetHealth and `harness.refresh('targetGroups', ...)`.
 */
async function writeTargetHealth(
  harness: ProjectionHarness,
  targets: Record<number, TargetState>,
  at: Date,
): Promise<void> {
  const reasons: Record<TargetState, { Reason?: string; Description?: string }> = {
    initial: { Reason: 'Elb.RegistrationInProgress', Description: 'Target registration is in progress' },
    healthy: {},
  };
  const descriptions = Object.entries(targets).map(([n, state]) =>
    toCacheAttributes({
      Target: { Id: id(Number(n)), Port: 7001 },
      HealthCheckPort: '7001',
      TargetHealth: { State: state, ...reasons[state] },
    }),
  );
  await harness.store.resources.write(
    [
      {
        key: TG_KEY,
        type: 'targetGroups',
        account: ACCOUNT_NAME,
        region: REGION,
        application: 'orders',
        attributes: { ...toCacheAttributes(targetGroup), targetHealthDescriptions: descriptions },
        relationships: {
          loadBalancers: [LB_KEY],
          instances: Object.keys(targets).map((n) => instanceKey(Number(n))),
        },
      },
    ],
    { fetchedAt: at, agent: ALB_AGENT, touchUnchanged: true },
  );
}

const later = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const instanceNames = (instances: { name: string | null }[]) => instances.map((i) => i.name).sort();

/** AWS with one server group of two running instances. */
const running = (): World => ({
  groups: [autoScalingGroup('orders-main-v001', [1, 2])],
  instances: [ec2Instance(1, 'orders-main-v001'), ec2Instance(2, 'orders-main-v001')],
});

interface Replay {
  harness: ProjectionHarness;
  cache: ClouddriverReader;
  clusters: AmazonClusterProvider;
}

/**
 * For a describe block: a database with the agents' first cycle over `world` projected and target
 * health written (`targets`: by default its first two instances healthy), and Clouddriver's reader over it (filled in by
 * `beforeAll`); after each test, nothing SqlCache would have swallowed.
 */
function replayOf(
  world: World,
  targets: Record<number, TargetState> = { 1: 'healthy', 2: 'healthy' },
): Replay {
  const env = {} as Replay;
  beforeAll(async () => {
    env.harness = await ProjectionHarness.open();
    fakeAws(world);
    await runAllAgents(env.harness);
    await writeTargetHealth(env.harness, targets, later(30));
    env.cache = new ClouddriverReader(env.harness.db, env.harness.projection.names);
    env.clusters = new AmazonClusterProvider(env.cache);
  });
  afterAll(() => env.harness.close());
  afterEach(() => expect(env.cache.suppressed).toEqual([]));
  return env;
}

describe('Clouddriver reading the projected tables: a running server group behind an ALB', () => {
  const env = replayOf(running());

  it('serves GET /serverGroups/{account}/{region}/{name} (single mode, what Orca reads) with every field it casts', async () => {
    const serverGroup = await env.clusters.getServerGroup(ACCOUNT_NAME, REGION, 'orders-main-v001');

    expect(serverGroup).not.toBeNull();
    const json = serverGroupJson(serverGroup!, later(60).getTime());
    expect(json).toMatchObject({
      name: 'orders-main-v001',
      region: REGION,
      createdTime: ASG_CREATED.getTime(),
      disabled: false,
      capacity: { min: 2, max: 4, desired: 2 },
      instanceType: 'm5.large',
      securityGroups: [WEB_SG],
      loadBalancers: [],
      accountName: ACCOUNT_NAME,
      instanceCounts: { total: 2, up: 2 },
    });
    const asg = json.asg as Record<string, unknown>;
    expect(typeof asg.createdTime).toBe('number');
    expect(asg.suspendedProcesses).toEqual([]);
    expect((asg.instances as { instanceId: string }[]).map((i) => i.instanceId)).toEqual([id(1), id(2)]);
    expect(instanceNames(serverGroup!.instances)).toEqual([id(1), id(2)]);
    // The launch template came through its `serverGroups` relationship, at the ASG's version ($Latest).
    expect(serverGroup!.launchTemplate).toMatchObject({
      versionNumber: 3,
      launchTemplateData: { imageId: AMI, instanceType: 'm5.large', securityGroupIds: [WEB_SG] },
    });
    for (const instance of json.instances as Record<string, unknown>[]) {
      expect(instance).toMatchObject({
        healthState: 'Up',
        isHealthy: true,
        launchTime: Date.parse('2026-02-27T09:14:03.000Z'),
        zone: expect.stringMatching(/^us-east-1[ab]$/),
        instanceId: instance.name,
        privateIpAddress: expect.stringMatching(/^10\.0\.1\.\d$/),
      });
    }
  });

  it('writes every row as a body Clouddriver reads back: relationships present, no expiry, no nulls', async () => {
    let rows = 0;
    for (const type of PROJECTED_TYPES) {
      const stored = await env.harness.rows(type);
      const read = await env.cache.getAll(type, undefined);
      expect(read.map((d) => d.id).sort()).toEqual([...new Set(stored.map((r) => r.id))].sort());
      for (const data of read) {
        expect(data.relationships).toEqual(expect.any(Object));
        expect(data.ttlSeconds).toBe(-1);
        expect(data.attributes).not.toHaveProperty('cacheExpiry');
        expect(Object.values(data.attributes)).not.toContain(null);
      }
      rows += stored.length;
    }
    expect(rows).toBeGreaterThanOrEqual(15);
  });

  it('writes no server group or instance attribute that would shadow a getter of its model', async () => {
    for (const type of ['serverGroups', 'instances'] as const) {
      const rows = await env.harness.rows(type);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.map((r) => [r.id, shadowedGetters(type, r.body.attributes)])).toEqual(
        rows.map((r) => [r.id, []]),
      );
    }
  });

  it('keeps the launch template related to its server groups, with the image of its latest version', async () => {
    const template = await env.cache.get('launchTemplates', LT_KEY);

    expect(template).not.toBeNull();
    expect(template!.relationships.serverGroups).toEqual([sgKey('orders-main-v001')]);
    expect(template!.relationships.images).toEqual([Keys.image(AMI, ACCOUNT_NAME, REGION)]);
    const latest = template!.attributes.latestVersion as { launchTemplateData: { imageId: unknown } };
    expect(latest.launchTemplateData.imageId).toBe(AMI);
    const versions = template!.attributes.versions as { versionNumber: unknown; defaultVersion: unknown }[];
    expect(versions.map((v) => [v.versionNumber, v.defaultVersion])).toEqual(
      expect.arrayContaining([
        [3, false],
        [1, true],
      ]),
    );
  });

  it('adds target group health to each instance as addHealthToInstances does, so the instance is Up', async () => {
    const serverGroup = await env.clusters.getServerGroup(ACCOUNT_NAME, REGION, 'orders-main-v001');
    const instance = serverGroup!.instances.find((i) => i.name === id(1))!;

    expect(instance.health).toEqual([
      { type: 'Amazon', healthClass: 'platform', state: 'Unknown' },
      {
        type: 'TargetGroup',
        instanceId: id(1),
        application: 'orders',
        state: 'Up',
        targetGroups: [
          { instanceId: id(1), targetGroupName: 'orders-main-tg', state: 'healthy', healthState: 'Up' },
        ],
      },
    ]);
    const health = await env.cache.get(
      'health',
      Keys.health(id(1), ACCOUNT_NAME, REGION, TARGET_GROUP_HEALTH_ID),
    );
    expect(health!.relationships.instances).toEqual([instanceKey(1)]);
  });

  it('serves GET /instances/{account}/{region}/{id} with its health through relationships.health', async () => {
    const instance = await getInstance(env.cache, ACCOUNT_NAME, REGION, id(2));

    expect(instance).toMatchObject({
      name: id(2),
      launchTime: Date.parse('2026-02-27T09:14:03.000Z'),
      extra: {
        serverGroup: 'orders-main-v001',
        cluster: 'orders-main',
        instanceId: id(2),
        application: 'orders',
      },
    });
    expect(instance!.health.map((h) => [h.type, h.state])).toEqual([
      ['Amazon', 'Unknown'],
      ['TargetGroup', 'Up'],
    ]);
    expect(await getInstance(env.cache, ACCOUNT_NAME, REGION, id(9))).toBeNull();
  });

  it('serves the cluster in details mode (GET /applications/{app}/clusters/{account}/{cluster}/aws)', async () => {
    const cluster = await env.clusters.getCluster('orders', ACCOUNT_NAME, 'orders-main');

    expect(cluster).not.toBeNull();
    const json = clusterJson(cluster!);
    expect(json).toMatchObject({ name: 'orders-main', accountName: ACCOUNT_NAME });
    // Load balancer and target group rows exist (details mode drops keys without a row); the
    // name is null in Clouddriver too, as it reads the key's `loadBalancer` part for a target group.
    expect(cluster!.targetGroups).toEqual([{ name: null, account: ACCOUNT_NAME, region: REGION }]);
    expect(cluster!.loadBalancers).toEqual([]);
    const [serverGroup] = cluster!.serverGroups!;
    expect(instanceNames(serverGroup.instances)).toEqual([id(1), id(2)]);
    expect(serverGroup.instances.every((i) => i.isHealthy)).toBe(true);
    expect(serverGroup.launchTemplate).toMatchObject({ launchTemplateData: { imageId: AMI } });
    const row = await env.cache.get('clusters', Keys.cluster('orders-main', 'orders', ACCOUNT_NAME));
    expect(row!.relationships).toMatchObject({
      serverGroups: [sgKey('orders-main-v001')],
      loadBalancers: [],
      targetGroups: [TG_KEY],
    });
  });

  it('serves cluster summaries from the ASG instance list, without reading instance rows', async () => {
    const summaries = await env.clusters.getClusterSummaries('orders');

    expect(summaries).toHaveLength(1);
    const [serverGroup] = summaries![0].serverGroups!;
    expect(instanceNames(serverGroup.instances)).toEqual([id(1), id(2)]);
    expect(serverGroup.instances[0].health).toEqual([]);
    expect(summaries![0].targetGroups).toEqual([{ name: null, account: ACCOUNT_NAME, region: REGION }]);
    expect(() => clusterJson(summaries![0])).not.toThrow();
  });

  it("cannot serve Deck's cluster view (GET /applications/{app}/serverGroups) on PostgreSQL: SqlCache's app-wide query fails there", async () => {
    expect(await env.clusters.getClusterDetails('orders')).toBeNull();
    expect(env.cache.suppressed.map((s) => s.message)).toEqual(
      Array(5).fill('column reference "id" is ambiguous'),
    );
    env.cache.suppressed.length = 0;
  });

  it('has every row of the app-wide read tagged with its application, so the view fills once that query is fixed', async () => {
    const mysqlLike = new ClouddriverReader(env.harness.db, env.harness.projection.names, {
      appModeGroupBy: 'qualified',
    });
    const details = await new AmazonClusterProvider(mysqlLike).getClusterDetails('orders');

    expect(mysqlLike.suppressed).toEqual([]);
    expect(details).toHaveLength(1);
    const [serverGroup] = details![0].serverGroups!;
    expect(serverGroup.name).toBe('orders-main-v001');
    expect(instanceNames(serverGroup.instances)).toEqual([id(1), id(2)]);
    expect(serverGroup.instances.every((i) => i.isHealthy)).toBe(true);
    expect(serverGroup.launchTemplate).toMatchObject({ launchTemplateData: { imageId: AMI } });
    expect(() => clusterJson(details![0])).not.toThrow();
    for (const type of ['clusters', 'serverGroups', 'instances', 'launchTemplates']) {
      const rows = await env.harness.rows(type);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.map((r) => [r.id, r.application])).toEqual(rows.map((r) => [r.id, 'orders']));
    }
  });

  it('serves GET /aws/loadBalancers/{account}/{region}/{name} with its target groups', async () => {
    const [lb, ...others] = await loadBalancersByAccountAndRegionAndName(
      env.cache,
      ACCOUNT_NAME,
      REGION,
      'orders-alb',
    );

    expect(others).toEqual([]);
    expect(lb).toMatchObject({
      loadBalancerName: 'orders-alb',
      loadBalancerType: 'application',
      dnsname: 'orders-alb-1234567890.us-east-1.elb.amazonaws.com',
      vpcId: VPC,
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      subnets: [SUBNET_A, SUBNET_B],
      securityGroups: [LB_SG],
      createdTime: Date.parse('2025-11-02T18:45:10.120Z'),
    });
    expect(lb).not.toHaveProperty('type');
    expect(lb.targetGroups).toEqual([
      expect.objectContaining({
        targetGroupName: 'orders-main-tg',
        targetType: 'instance',
        port: 7001,
        loadBalancerNames: ['orders-alb'],
        instances: [id(1), id(2)],
      }),
    ]);
  });

  it("serves the application's load balancers with target group members and their raw target states", async () => {
    const [lb, ...others] = await getApplicationLoadBalancers(env.cache, 'orders');

    expect(others).toEqual([]);
    expect(lb).toMatchObject({ name: 'orders-alb', account: ACCOUNT_NAME, region: REGION, vpcId: VPC });
    expect(lb.targetGroups).toHaveLength(1);
    expect(lb.targetGroups[0]).toMatchObject({ name: 'orders-main-tg', vpcId: VPC });
    expect(lb.targetGroups[0].serverGroups).toEqual([
      {
        name: 'orders-main-v001',
        isDisabled: false,
        detachedInstances: [],
        instances: [id(1), id(2)].map((i, n) => ({
          id: i,
          zone: n === 0 ? 'us-east-1a' : 'us-east-1b',
          health: { type: undefined, state: 'healthy', reasonCode: undefined, description: undefined },
        })),
      },
    ]);
  });

  it('serves security groups with their inbound rules from ipPermissions', async () => {
    const groups = await securityGroups(
      env.cache,
      Keys.securityGroup('*', '*', REGION, ACCOUNT_NAME, '*'),
      true,
      [{ name: ACCOUNT_NAME, accountId: ACCOUNT_ID }],
    );

    const orders = groups.find((g) => g.name === 'orders');
    expect(orders).toMatchObject({
      id: WEB_SG,
      vpcId: VPC,
      description: 'orders security group',
      region: REGION,
    });
    expect(orders!.inboundRules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          protocol: 'tcp',
          range: { ip: '10.0.0.0', cidr: '/8' },
          portRanges: [{ startPort: 7001, endPort: 7001 }],
        }),
        expect.objectContaining({ protocol: 'tcp', range: { ip: '2600:1f18:abcd::', cidr: '/48' } }),
        expect.objectContaining({
          protocol: 'tcp',
          // The pair names no group: the name comes from the other group's key.
          securityGroup: expect.objectContaining({
            id: LB_SG,
            name: 'orders-alb',
            accountName: ACCOUNT_NAME,
          }),
        }),
      ]),
    );
    expect(orders!.inboundRules).toHaveLength(3);
  });

  it('serves subnets and VPCs with the fields and types their providers read', async () => {
    expect(await subnets(env.cache)).toEqual(
      expect.arrayContaining([
        {
          type: 'aws',
          id: SUBNET_A,
          state: 'available',
          vpcId: VPC,
          cidrBlock: '10.0.1.0/24',
          availableIpAddressCount: 251,
          account: ACCOUNT_NAME,
          accountId: ACCOUNT_ID,
          region: REGION,
          availabilityZone: 'us-east-1a',
          purpose: 'internal',
          deprecated: false,
        },
        expect.objectContaining({ id: SUBNET_B, purpose: 'external (vpc0)', availableIpAddressCount: 248 }),
      ]),
    );
    expect(await vpcs(env.cache)).toEqual([
      {
        cloudProvider: 'aws',
        id: VPC,
        name: 'vpc0',
        account: ACCOUNT_NAME,
        region: REGION,
        deprecated: false,
      },
    ]);
  });

  it('reads relationships as SqlCache does: none() strips even the body ones, include() filters by prefix, ALL adds _rel rows', async () => {
    const key = sgKey('orders-main-v001');
    const [bare] = await env.cache.getAll('serverGroups', [key], RelationshipCacheFilter.none());
    const [some] = await env.cache.getAll(
      'serverGroups',
      [key],
      RelationshipCacheFilter.include('inst', 'launchT'),
    );
    const all = await env.cache.get('serverGroups', key);

    expect(bare.relationships).toEqual({});
    expect(Object.keys(some.relationships).sort()).toEqual(['instances', 'launchTemplates']);
    expect(all!.relationships).toMatchObject({
      instances: [instanceKey(1), instanceKey(2)],
      targetGroups: [TG_KEY],
      launchTemplates: [LT_KEY],
      clusters: [Keys.cluster('orders-main', 'orders', ACCOUNT_NAME)],
      images: [Keys.image(AMI, ACCOUNT_NAME, REGION)],
    });
    // filterIdentifiers: `_` is a literal, `?` switches to a regular expression.
    expect(
      await env.cache.filterIdentifiers('instances', `aws:instances:${ACCOUNT_NAME}:us_east-1:*`),
    ).toEqual([]);
    expect(
      (await env.cache.filterIdentifiers('instances', `aws:instances:${ACCOUNT_NAME}:us-east-?:*`)).sort(),
    ).toEqual([instanceKey(1), instanceKey(2)]);
  });
});

describe('Clouddriver reading the projected tables: Orca waiting on a deploy', () => {
  const world = running();
  const env = replayOf(world);

  /** Orca's WaitForUpInstancesTask on GET /serverGroups/{account}/{region}/{name}. */
  async function waitForUpInstances(name: string) {
    const serverGroup = await env.clusters.getServerGroup(ACCOUNT_NAME, REGION, name);
    if (serverGroup === null) return { found: false, up: false, instances: [] };
    const json = serverGroupJson(serverGroup, later(600).getTime());
    const instances = json.instances as Record<string, unknown>[];
    return {
      found: true,
      up: allInstancesUp(json),
      instances: instances.map((i) => [i.name, someAreUpAndNoneAreDownOrStarting(i)]),
    };
  }

  it('holds the new server group while its targets are initial, and lets it through once they are healthy', async () => {
    // The deploy: the new ASG and its instances appear, targeted refreshes read them.
    world.groups.push(autoScalingGroup('orders-main-v002', [3, 4]));
    world.instances.push(
      ec2Instance(3, 'orders-main-v002', 'pending'),
      ec2Instance(4, 'orders-main-v002', 'pending'),
    );
    await env.harness.refresh(
      'serverGroups',
      [
        {
          key: sgKey('orders-main-v002'),
          id: 'orders-main-v002',
          idKind: 'autoScalingGroupName',
          partial: false,
        },
      ],
      later(100),
    );
    await env.harness.refresh(
      'instances',
      [3, 4].map((n) => ({ key: instanceKey(n), id: id(n), idKind: 'instanceId', partial: false })),
      later(101),
    );
    await writeTargetHealth(
      env.harness,
      { 1: 'healthy', 2: 'healthy', 3: 'initial', 4: 'initial' },
      later(110),
    );

    const registering = await waitForUpInstances('orders-main-v002');
    expect(registering).toEqual({
      found: true,
      up: false,
      instances: [
        [id(3), false],
        [id(4), false],
      ],
    });
    const starting = await env.clusters.getServerGroup(ACCOUNT_NAME, REGION, 'orders-main-v002');
    expect(starting!.instances[0].health[1]).toMatchObject({
      type: 'TargetGroup',
      state: 'Starting',
      targetGroups: [{ state: 'initial', healthState: 'Starting', reasonCode: 'Elb.RegistrationInProgress' }],
    });

    world.instances.splice(2, 2, ec2Instance(3, 'orders-main-v002'), ec2Instance(4, 'orders-main-v002'));
    await env.harness.refresh(
      'instances',
      [3, 4].map((n) => ({ key: instanceKey(n), id: id(n), idKind: 'instanceId', partial: false })),
      later(160),
    );
    await writeTargetHealth(
      env.harness,
      { 1: 'healthy', 2: 'healthy', 3: 'healthy', 4: 'healthy' },
      later(170),
    );

    expect(await waitForUpInstances('orders-main-v002')).toEqual({
      found: true,
      up: true,
      instances: [
        [id(3), true],
        [id(4), true],
      ],
    });
    // The old server group is still up, and both are in the cluster.
    expect((await waitForUpInstances('orders-main-v001')).up).toBe(true);
    const cluster = await env.clusters.getCluster('orders', ACCOUNT_NAME, 'orders-main');
    expect(cluster!.serverGroups!.map((sg) => sg.name).sort()).toEqual([
      'orders-main-v001',
      'orders-main-v002',
    ]);
  });
});

describe('Clouddriver reading the projected tables: an evicted instance', () => {
  const world = running();
  const env = replayOf(world);

  it('drops it from the server group in single and details mode while the ASG still lists it', async () => {
    world.instances[1] = ec2Instance(2, 'orders-main-v001', 'terminated');
    await env.harness.refresh(
      'instances',
      [{ key: instanceKey(2), id: id(2), idKind: 'instanceId', partial: false }],
      later(200),
    );

    const single = await env.clusters.getServerGroup(ACCOUNT_NAME, REGION, 'orders-main-v001');
    const cluster = await env.clusters.getCluster('orders', ACCOUNT_NAME, 'orders-main');

    expect((single!.asg!.instances as { instanceId: string }[]).map((i) => i.instanceId)).toEqual([
      id(1),
      id(2),
    ]);
    expect(instanceNames(single!.instances)).toEqual([id(1)]);
    expect(instanceNames(cluster!.serverGroups![0].instances)).toEqual([id(1)]);
    expect(() => serverGroupJson(single!)).not.toThrow();
    expect(await getInstance(env.cache, ACCOUNT_NAME, REGION, id(2))).toBeNull();
    expect(
      await env.cache.get('health', Keys.health(id(2), ACCOUNT_NAME, REGION, TARGET_GROUP_HEALTH_ID)),
    ).toBeNull();
  });

  it('answers 404 for a deleted server group and drops its cluster and application with it', async () => {
    world.groups.splice(0, 1);
    await env.harness.refresh(
      'serverGroups',
      [
        {
          key: sgKey('orders-main-v001'),
          id: 'orders-main-v001',
          idKind: 'autoScalingGroupName',
          partial: false,
        },
      ],
      later(300),
    );

    expect(await env.clusters.getServerGroup(ACCOUNT_NAME, REGION, 'orders-main-v001')).toBeNull();
    expect(await env.clusters.getCluster('orders', ACCOUNT_NAME, 'orders-main')).toBeNull();
    expect(await env.clusters.getClusterSummaries('orders')).toBeNull();
    expect(await env.cache.get('applications', Keys.application('orders'))).toBeNull();
  });
});

describe('Clouddriver reading the projected tables: a mixed instances policy server group', () => {
  const mixed = autoScalingGroup('orders-spot-v003', [5]);
  delete mixed.LaunchTemplate;
  mixed.MixedInstancesPolicy = {
    LaunchTemplate: {
      LaunchTemplateSpecification: {
        LaunchTemplateId: 'lt-0a1b2c3d4e5f60718',
        LaunchTemplateName: 'orders-main',
        Version: '$Default',
      },
      Overrides: [{ InstanceType: 'm5.large' }, { InstanceType: 'm5a.large', WeightedCapacity: '1' }],
    },
    InstancesDistribution: {
      OnDemandAllocationStrategy: 'prioritized',
      OnDemandBaseCapacity: 0,
      OnDemandPercentageAboveBaseCapacity: 0,
      SpotAllocationStrategy: 'price-capacity-optimized',
    },
  };
  const env = replayOf(
    { groups: [mixed], instances: [{ ...ec2Instance(5, 'orders-spot-v003'), InstanceLifecycle: 'spot' }] },
    { 5: 'healthy' },
  );

  it('serves it in single and details mode with the policy built from its default launch template version', async () => {
    const single = await env.clusters.getServerGroup(ACCOUNT_NAME, REGION, 'orders-spot-v003');
    const cluster = await env.clusters.getCluster('orders', ACCOUNT_NAME, 'orders-spot');

    for (const serverGroup of [single!, cluster!.serverGroups![0]]) {
      expect(serverGroup.launchTemplate).toBeNull();
      expect(serverGroup.mixedInstancesPolicy).toMatchObject({
        allowedInstanceTypes: ['m5.large', 'm5a.large'],
        instancesDistribution: {
          spotAllocationStrategy: 'price-capacity-optimized',
          onDemandBaseCapacity: 0,
        },
        launchTemplates: [{ versionNumber: 1, defaultVersion: true, launchTemplateData: { imageId: AMI } }],
      });
      expect(serverGroupJson(serverGroup)).toMatchObject({
        securityGroups: [WEB_SG],
        capacity: { desired: 1 },
        instanceCounts: { total: 1, up: 1 },
      });
      expect(instanceNames(serverGroup.instances)).toEqual([id(5)]);
      expect(serverGroup.instances[0].extra).toMatchObject({
        capacityType: 'spot',
        instanceLifecycle: 'spot',
      });
    }
  });
});

describe('Clouddriver reading the projected tables: one cluster in two regions', () => {
  const WEST = 'us-west-2';
  let harness: ProjectionHarness;

  beforeAll(async () => {
    harness = await ProjectionHarness.open({
      accounts: [{ ...ACCOUNT, regions: [{ name: REGION }, { name: WEST }] }],
    });
    fakeAws({
      groups: [autoScalingGroup('orders-main-v001', [1, 2])],
      instances: [ec2Instance(1, 'orders-main-v001'), ec2Instance(2, 'orders-main-v001')],
    });
    await harness.run(AWS_AGENT_KINDS.clusters, T0, { region: REGION });
    await harness.run(AWS_AGENT_KINDS.clusters, T0, { region: WEST });
  });
  afterAll(() => harness.close());

  it.each(['as-returned', 'reversed'] as const)(
    'merges the per-region cluster rows into one cluster with both regions’ server groups (rows %s)',
    async (rowOrder) => {
      const cache = new ClouddriverReader(harness.db, harness.projection.names, { rowOrder });
      const key = Keys.cluster('orders-main', 'orders', ACCOUNT_NAME);

      expect((await harness.rows('clusters')).map((r) => [r.id, r.agent])).toEqual([
        [key, `${ACCOUNT_NAME}/${REGION}/ClusterCachingAgent`],
        [key, `${ACCOUNT_NAME}/${WEST}/ClusterCachingAgent`],
      ]);
      const [cluster, ...others] = await cache.getAll('clusters', [key]);
      expect(others).toEqual([]);
      expect(cluster.attributes).toEqual({ name: 'orders-main', application: 'orders' });
      expect([...cluster.relationships.serverGroups].sort()).toEqual([
        sgKey('orders-main-v001'),
        sgKey('orders-main-v001', WEST),
      ]);
      const details = await new AmazonClusterProvider(cache).getCluster(
        'orders',
        ACCOUNT_NAME,
        'orders-main',
      );
      expect(details!.serverGroups!.map((sg) => sg.region).sort()).toEqual([REGION, WEST]);
      expect(cache.suppressed).toEqual([]);
    },
  );
});
