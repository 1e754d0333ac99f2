/**
 * Realistic AWS SDK v3 outputs and errors for the specs: shapes, ids, ARNs and messages as the
 * services return them (EC2 query protocol, Auto Scaling, ELBv2, AWS Config, STS).
 */
import type {
  AutoScalingGroup,
  LifecycleState,
  ScalingPolicy,
  ScheduledUpdateGroupAction,
} from '@aws-sdk/client-auto-scaling';
import { AutoScalingServiceException } from '@aws-sdk/client-auto-scaling';
import { CloudWatchServiceException, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { EC2ServiceException, type Instance, type SecurityGroup } from '@aws-sdk/client-ec2';
import {
  ElasticLoadBalancingV2ServiceException,
  type Listener,
  type LoadBalancer,
  type LoadBalancerAttribute,
  type Rule,
  type TargetGroup,
  type TargetGroupAttribute,
  type TargetHealthDescription,
  type TargetHealthReasonEnum,
  type TargetHealthStateEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  type AgentContext,
  type AnyCachingAgent,
  type CacheRecord,
  isStreamingAgent,
} from '@event-cache/agents';
import { AWS_RATE_LIMIT_DEFAULTS } from '@event-cache/platform';
import { AwsClientPool } from '../clients/aws-client.factory';
import type { AwsAgentAccount, AwsConfig } from '../aws-agents.model';
import type { AwsScope } from '../kinds/aws-caching-agent';

export const ACCOUNT: AwsAgentAccount = {
  name: 'prod',
  accountId: '123456789012',
  assumeRole: 'role/spinnaker-managed',
  environment: 'prod',
  regions: [{ name: 'us-east-1' }, { name: 'eu-west-1' }],
};
export const REGION = 'us-east-1';
export const VPC = 'vpc-0a1b2c3d4e5f60718';
export const SUBNET_A = 'subnet-0a1b2c3d4e5f60001';
export const SUBNET_B = 'subnet-0a1b2c3d4e5f60002';

/** The `aws` config section with its defaults (what the schema produces for an empty section). */
export const AWS_CONFIG: AwsConfig = {
  rateLimits: AWS_RATE_LIMIT_DEFAULTS,
  rateLimitShare: 1,
  maxAttempts: 3,
  endpoints: {},
  assumeRoleSessionName: 'spinnaker-event-cache',
  assumeRoleDurationSeconds: 3_600,
  targetHealth: { recheckSeconds: 5, windowSeconds: 600 },
};

const STATIC_CREDENTIALS = () => Promise.resolve({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' });

/** A scope whose clients are real SDK clients (their `send` is what aws-sdk-client-mock replaces). */
export function scopeFor(
  account: AwsAgentAccount = { ...ACCOUNT, assumeRole: undefined },
  region = REGION,
): AwsScope {
  return { account, region, clients: new AwsClientPool(AWS_CONFIG, { baseCredentials: STATIC_CREDENTIALS }) };
}

export const T0 = new Date('2026-03-01T12:00:00.000Z');
export function agentContext(signal: AbortSignal = new AbortController().signal): AgentContext {
  return { signal, now: () => T0 };
}

/**
 * A run of a streaming agent read as the runtime reads it (read start T0), page after page to the
 * end: its pages in order and all their records. Rejects as the run would fail.
 */
export async function streamed(
  agent: AnyCachingAgent,
  signal?: AbortSignal,
): Promise<{ pages: CacheRecord[][]; resources: CacheRecord[]; readStartedAt: Date }> {
  if (!isStreamingAgent(agent)) throw new Error(`${agent.id} does not stream`);
  const ctx = { ...agentContext(signal), readStartedAt: T0 };
  const pages: CacheRecord[][] = [];
  for await (const page of agent.stream(ctx)) pages.push([...page]);
  return { pages, resources: pages.flat(), readStartedAt: ctx.readStartedAt };
}

/** `i-` + 17 hex digits, deterministic from n. */
export function instanceId(n: number): string {
  return `i-0${n.toString(16).padStart(16, '0')}`;
}

export function ec2Instance(
  id: string,
  options: { asg?: string; state?: 'pending' | 'running' | 'stopped' | 'terminated' | 'shutting-down' } = {},
): Instance {
  const state = options.state ?? 'running';
  const codes = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopped: 80 };
  return {
    AmiLaunchIndex: 0,
    ImageId: 'ami-0abcdef1234567890',
    InstanceId: id,
    InstanceType: 'm5.large',
    LaunchTime: new Date('2026-02-27T09:14:03.000Z'),
    Monitoring: { State: 'disabled' },
    Placement: { AvailabilityZone: 'us-east-1a', GroupName: '', Tenancy: 'default' },
    PrivateDnsName: 'ip-10-0-1-17.ec2.internal',
    PrivateIpAddress: '10.0.1.17',
    ProductCodes: [],
    State: { Code: codes[state], Name: state },
    SubnetId: SUBNET_A,
    VpcId: VPC,
    Architecture: 'x86_64',
    BlockDeviceMappings: [
      {
        DeviceName: '/dev/xvda',
        Ebs: {
          AttachTime: new Date('2026-02-27T09:14:04.000Z'),
          DeleteOnTermination: true,
          Status: 'attached',
          VolumeId: 'vol-0123456789abcdef0',
        },
      },
    ],
    EbsOptimized: false,
    IamInstanceProfile: {
      Arn: 'arn:aws:iam::123456789012:instance-profile/BaseIAMRole',
      Id: 'AIPAEXAMPLEEXAMPLE',
    },
    SecurityGroups: [{ GroupName: 'web', GroupId: 'sg-0123456789abcdef0' }],
    Tags: options.asg
      ? [
          { Key: 'aws:autoscaling:groupName', Value: options.asg },
          { Key: 'spinnaker:application', Value: options.asg.split('-')[0] },
        ]
      : [{ Key: 'Name', Value: 'bastion' }],
    VirtualizationType: 'hvm',
    MetadataOptions: {
      State: 'applied',
      HttpTokens: 'required',
      HttpPutResponseHopLimit: 2,
      HttpEndpoint: 'enabled',
    },
  };
}

/** A DescribeInstances page: instances grouped in reservations of up to 3. */
export function describeInstancesPage(instances: Instance[], NextToken?: string) {
  const Reservations = [];
  for (let i = 0; i < instances.length; i += 3) {
    Reservations.push({
      ReservationId: `r-0${(i + 1).toString(16).padStart(16, '0')}`,
      OwnerId: '123456789012',
      Groups: [],
      Instances: instances.slice(i, i + 3),
    });
  }
  return { Reservations, ...(NextToken && { NextToken }), $metadata: { httpStatusCode: 200 } };
}

export function asg(
  name: string,
  options: {
    instances?: string[];
    targetGroupArns?: string[];
    loadBalancerNames?: string[];
    launchTemplate?: string;
    subnets?: string[];
    /** Lifecycle state per instance id (default `InService`). */
    lifecycle?: Record<string, LifecycleState>;
  } = {},
): AutoScalingGroup {
  return {
    AutoScalingGroupName: name,
    AutoScalingGroupARN: `arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:5f2c9b1e-8d1a-4b6e-9f0a-${name.length
      .toString()
      .padStart(12, '0')}:autoScalingGroupName/${name}`,
    LaunchTemplate: {
      LaunchTemplateId: 'lt-0a1b2c3d4e5f60718',
      LaunchTemplateName: options.launchTemplate ?? name,
      Version: '$Latest',
    },
    MinSize: 1,
    MaxSize: 4,
    DesiredCapacity: (options.instances ?? []).length,
    DefaultCooldown: 300,
    AvailabilityZones: ['us-east-1a', 'us-east-1b'],
    LoadBalancerNames: options.loadBalancerNames ?? [],
    TargetGroupARNs: options.targetGroupArns ?? [],
    HealthCheckType: 'EC2',
    HealthCheckGracePeriod: 300,
    Instances: (options.instances ?? []).map((InstanceId) => ({
      InstanceId,
      InstanceType: 'm5.large',
      AvailabilityZone: 'us-east-1a',
      LifecycleState: options.lifecycle?.[InstanceId] ?? 'InService',
      HealthStatus: 'Healthy',
      LaunchTemplate: { LaunchTemplateId: 'lt-0a1b2c3d4e5f60718', LaunchTemplateName: name, Version: '3' },
      ProtectedFromScaleIn: false,
    })),
    CreatedTime: new Date('2026-02-27T09:13:40.512Z'),
    SuspendedProcesses: [],
    VPCZoneIdentifier: (options.subnets ?? [SUBNET_A, SUBNET_B]).join(','),
    EnabledMetrics: [],
    Tags: [
      {
        ResourceId: name,
        ResourceType: 'auto-scaling-group',
        Key: 'spinnaker:application',
        Value: name.split('-')[0],
        PropagateAtLaunch: true,
      },
    ],
    TerminationPolicies: ['Default'],
    NewInstancesProtectedFromScaleIn: false,
    ServiceLinkedRoleARN:
      'arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling',
    CapacityRebalance: false,
  };
}

/** A step scaling policy of `group` whose alarms are `alarms` (by name). */
export function scalingPolicy(group: string, name: string, alarms: string[] = []): ScalingPolicy {
  return {
    AutoScalingGroupName: group,
    PolicyName: name,
    PolicyARN: scalingPolicyArn(group, name),
    PolicyType: 'StepScaling',
    AdjustmentType: 'ChangeInCapacity',
    MetricAggregationType: 'Average',
    StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
    Alarms: alarms.map((alarm) => ({ AlarmName: alarm, AlarmARN: alarmArn(alarm) })),
    Enabled: true,
  };
}

export function scalingPolicyArn(group: string, name: string): string {
  return `arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:2233f3d7-6290-403b-b632-93c553560106:autoScalingGroupName/${group}:policyName/${name}`;
}

export function alarmArn(name: string): string {
  return `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`;
}

/** A CPU alarm of `group` that triggers `policy`. */
export function metricAlarm(name: string, group: string, policy: string): MetricAlarm {
  return {
    AlarmName: name,
    AlarmArn: alarmArn(name),
    AlarmConfigurationUpdatedTimestamp: new Date('2026-02-27T09:14:11.083Z'),
    ActionsEnabled: true,
    OKActions: [],
    AlarmActions: [scalingPolicyArn(group, policy)],
    InsufficientDataActions: [],
    StateValue: 'OK',
    StateReason:
      'Threshold Crossed: 1 datapoint [12.5 (01/03/26 11:55:00)] was not greater than or equal to the threshold (70.0).',
    StateUpdatedTimestamp: new Date('2026-03-01T11:56:02.417Z'),
    MetricName: 'CPUUtilization',
    Namespace: 'AWS/EC2',
    Statistic: 'Average',
    Dimensions: [{ Name: 'AutoScalingGroupName', Value: group }],
    Period: 300,
    EvaluationPeriods: 1,
    Threshold: 70,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    StateTransitionedTimestamp: new Date('2026-03-01T11:56:02.417Z'),
  };
}

export function scheduledAction(group: string, name: string): ScheduledUpdateGroupAction {
  return {
    AutoScalingGroupName: group,
    ScheduledActionName: name,
    ScheduledActionARN: `arn:aws:autoscaling:us-east-1:123456789012:scheduledUpdateGroupAction:8e86b655-b2e6-4410-8f29-b4f094d6871c:autoScalingGroupName/${group}:scheduledActionName/${name}`,
    Time: new Date('2026-03-02T07:00:00.000Z'),
    StartTime: new Date('2026-03-02T07:00:00.000Z'),
    Recurrence: '0 7 * * MON-FRI',
    MinSize: 2,
    MaxSize: 8,
    DesiredCapacity: 4,
    TimeZone: 'Etc/UTC',
  };
}

export function targetGroupArn(name: string): string {
  return `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name}/73e2d6bc24d8a067`;
}

export function loadBalancerArn(name: string, type: 'app' | 'net' | 'gwy' = 'app'): string {
  return `arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/${type}/${name}/50dc6c495c0c9188`;
}

const ARN_TYPE = { application: 'app', network: 'net', gateway: 'gwy' } as const;

export function loadBalancer(
  name: string,
  type: 'application' | 'network' | 'gateway' = 'application',
): LoadBalancer {
  return {
    LoadBalancerArn: loadBalancerArn(name, ARN_TYPE[type]),
    DNSName: `${name}-1234567890.us-east-1.elb.amazonaws.com`,
    CanonicalHostedZoneId: 'Z35SXDOTRQ7X7K',
    CreatedTime: new Date('2025-11-02T18:45:10.120Z'),
    LoadBalancerName: name,
    Scheme: 'internet-facing',
    VpcId: VPC,
    State: { Code: 'active' },
    Type: type,
    AvailabilityZones: [
      { ZoneName: 'us-east-1a', SubnetId: SUBNET_A, LoadBalancerAddresses: [] },
      { ZoneName: 'us-east-1b', SubnetId: SUBNET_B, LoadBalancerAddresses: [] },
    ],
    SecurityGroups: ['sg-0123456789abcdef0'],
    IpAddressType: 'ipv4',
  };
}

export function targetGroup(
  name: string,
  loadBalancerArns: string[],
  targetType: 'instance' | 'lambda' = 'instance',
): TargetGroup {
  return {
    TargetGroupArn: targetGroupArn(name),
    TargetGroupName: name,
    Protocol: targetType === 'lambda' ? undefined : 'HTTP',
    Port: targetType === 'lambda' ? undefined : 7001,
    VpcId: targetType === 'lambda' ? undefined : VPC,
    HealthCheckProtocol: 'HTTP',
    HealthCheckPort: 'traffic-port',
    HealthCheckEnabled: true,
    HealthCheckIntervalSeconds: 10,
    HealthCheckTimeoutSeconds: 5,
    HealthyThresholdCount: 5,
    UnhealthyThresholdCount: 2,
    HealthCheckPath: '/healthcheck',
    Matcher: { HttpCode: '200-299' },
    LoadBalancerArns: loadBalancerArns,
    TargetType: targetType,
    ProtocolVersion: 'HTTP1',
    IpAddressType: 'ipv4',
  };
}

export function listenerArn(lbArn: string, n: number): string {
  return `${lbArn.replace(':loadbalancer/', ':listener/')}/f2f7dc8efc522a${n.toString(16).padStart(2, '0')}`;
}

/** An HTTPS listener forwarding to `targetGroupArn` (a gateway one: no port or protocol, GENEVE). */
export function listener(lbArn: string, n: number, forwardTo: string): Listener {
  const forward = {
    Type: 'forward' as const,
    TargetGroupArn: forwardTo,
    Order: 1,
    ForwardConfig: {
      TargetGroups: [{ TargetGroupArn: forwardTo, Weight: 1 }],
      TargetGroupStickinessConfig: { Enabled: false },
    },
  };
  if (lbArn.includes('/gwy/')) {
    return { ListenerArn: listenerArn(lbArn, n), LoadBalancerArn: lbArn, DefaultActions: [forward] };
  }
  return {
    ListenerArn: listenerArn(lbArn, n),
    LoadBalancerArn: lbArn,
    Port: 443,
    Protocol: 'HTTPS',
    Certificates: [
      {
        CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/3c8f6a0e-5d2b-4e1f-9a7c-2b4d6e8f0a1c',
      },
    ],
    SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
    DefaultActions: [forward],
  };
}

/** A path rule of a listener (priority 10), or its default rule. */
export function rule(listener: string, forwardTo: string, isDefault = false): Rule {
  return {
    RuleArn: `${listener.replace(':listener/', ':listener-rule/')}/9683b2d02a6cab${isDefault ? 'ff' : '0a'}`,
    Priority: isDefault ? 'default' : '10',
    Conditions: isDefault
      ? []
      : [{ Field: 'path-pattern', Values: ['/api/*'], PathPatternConfig: { Values: ['/api/*'] } }],
    Actions: [{ Type: 'forward', TargetGroupArn: forwardTo, Order: 1 }],
    IsDefault: isDefault,
  };
}

export const loadBalancerAttributes: LoadBalancerAttribute[] = [
  { Key: 'deletion_protection.enabled', Value: 'false' },
  { Key: 'idle_timeout.timeout_seconds', Value: '60' },
  { Key: 'routing.http2.enabled', Value: 'true' },
  { Key: 'access_logs.s3.enabled', Value: 'false' },
];

export const targetGroupAttributes: TargetGroupAttribute[] = [
  { Key: 'deregistration_delay.timeout_seconds', Value: '300' },
  { Key: 'stickiness.enabled', Value: 'false' },
  { Key: 'load_balancing.algorithm.type', Value: 'round_robin' },
  { Key: 'slow_start.duration_seconds', Value: '0' },
];

const HEALTH_REASONS: Partial<
  Record<TargetHealthStateEnum, { Reason: TargetHealthReasonEnum; Description: string }>
> = {
  initial: { Reason: 'Elb.RegistrationInProgress', Description: 'Target registration is in progress' },
  draining: {
    Reason: 'Target.DeregistrationInProgress',
    Description: 'Target deregistration is in progress',
  },
  unhealthy: {
    Reason: 'Target.ResponseCodeMismatch',
    Description: 'Health checks failed with these codes: [502]',
  },
};

/** A registered instance (or other target) and its health, as DescribeTargetHealth lists it. */
export function targetHealth(id: string, state: TargetHealthStateEnum = 'healthy'): TargetHealthDescription {
  return {
    Target: { Id: id, Port: 7001, AvailabilityZone: 'us-east-1a' },
    HealthCheckPort: '7001',
    TargetHealth: { State: state, ...HEALTH_REASONS[state] },
  };
}

export function securityGroup(id: string, name: string, vpcId: string | undefined = VPC): SecurityGroup {
  return {
    Description: `${name} security group`,
    GroupName: name,
    IpPermissions: [
      {
        FromPort: 7001,
        IpProtocol: 'tcp',
        IpRanges: [],
        Ipv6Ranges: [],
        PrefixListIds: [],
        ToPort: 7001,
        UserIdGroupPairs: [{ GroupId: 'sg-0fedcba9876543210', UserId: '123456789012' }],
      },
    ],
    OwnerId: '123456789012',
    GroupId: id,
    IpPermissionsEgress: [
      {
        IpProtocol: '-1',
        IpRanges: [{ CidrIp: '0.0.0.0/0' }],
        Ipv6Ranges: [],
        PrefixListIds: [],
        UserIdGroupPairs: [],
      },
    ],
    Tags: [],
    VpcId: vpcId,
  };
}

export const subnets = [
  {
    SubnetId: SUBNET_A,
    VpcId: VPC,
    AvailabilityZone: 'us-east-1a',
    CidrBlock: '10.0.1.0/24',
    State: 'available' as const,
  },
  {
    SubnetId: SUBNET_B,
    VpcId: VPC,
    AvailabilityZone: 'us-east-1b',
    CidrBlock: '10.0.2.0/24',
    State: 'available' as const,
  },
];

// --- errors, as the SDK deserializes them ----------------------------------------------------------

const meta = (httpStatusCode: number) => ({
  httpStatusCode,
  requestId: 'c6f7a0d2-1f9e-4b7a-9a43-0e5a2b7d9f11',
  attempts: 3,
});

export function ec2Error(name: string, message: string, status = 400): EC2ServiceException {
  return new EC2ServiceException({
    name,
    message,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: meta(status),
  });
}

export const requestLimitExceeded = () => ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503);

export function instancesNotFound(ids: string[]): EC2ServiceException {
  return ec2Error(
    'InvalidInstanceID.NotFound',
    ids.length === 1
      ? `The instance ID '${ids[0]}' does not exist`
      : `The instance IDs '${ids.join(', ')}' do not exist`,
  );
}

export function autoScalingThrottling(): AutoScalingServiceException {
  return new AutoScalingServiceException({
    name: 'Throttling',
    message: 'Rate exceeded',
    $fault: 'client',
    $metadata: meta(400),
  });
}

export function elbError(name: string, message: string): ElasticLoadBalancingV2ServiceException {
  return new ElasticLoadBalancingV2ServiceException({
    name,
    message,
    $fault: 'client',
    $metadata: meta(400),
  });
}

export function cloudWatchThrottling(): CloudWatchServiceException {
  return new CloudWatchServiceException({
    name: 'Throttling',
    message: 'Rate exceeded',
    $fault: 'client',
    $metadata: meta(400),
  });
}

export const elbThrottling = () => elbError('Throttling', 'Rate exceeded');
