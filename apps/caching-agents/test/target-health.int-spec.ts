import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribePoliciesCommand,
  DescribeScheduledActionsCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeInstancesCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type TargetHealthStateEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AgentRuntime } from '@event-cache/agents';
import { AwsClientPool, type AwsConfig, createAwsAgents } from '@event-cache/aws-agents';
import { type CacheStore, openCacheStore, refreshRequestFor } from '@event-cache/cache-store';
import { instanceKey, serverGroupKey } from '@event-cache/events';
import { AWS_RATE_LIMIT_DEFAULTS } from '@event-cache/platform';
import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { eventually, PROD, replica } from './support/fake-agents';

/**
 * The target health follow-up, end to end through the refresh queue on PostgreSQL: the shipped
 * AWS refreshers (AWS faked with aws-sdk-client-mock) under the refresh worker. A server group
 * that changed has its target group read; while a target is `initial` the target group is read
 * again after `recheckSeconds`; once it is healthy the re-checks stop.
 */
const REGION = 'us-east-1';
const VPC = 'vpc-0a1b2c3d4e5f60718';
const SUBNET = 'subnet-0a1b2c3d4e5f60001';
const GROUP = 'orders-main-v042';
const INSTANCE = 'i-0a1b2c3d4e5f60001';
const TG_ARN =
  'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/orders-main-tg/73e2d6bc24d8a067';
const TG_KEY = `aws:targetGroups:prod:us-east-1:orders-main-tg:instance:${VPC}`;
const SG_KEY = serverGroupKey({ account: 'prod', region: REGION, serverGroup: GROUP })!;

const AWS: AwsConfig = {
  // AWS's buckets, roomy: the test is not about pacing.
  rateLimits: Object.fromEntries(
    Object.keys(AWS_RATE_LIMIT_DEFAULTS).map((name) => [name, { capacity: 1_000, refillPerSecond: 1_000 }]),
  ) as AwsConfig['rateLimits'],
  rateLimitShare: 1,
  maxAttempts: 1,
  endpoints: {},
  assumeRoleSessionName: 'spinnaker-event-cache',
  assumeRoleDurationSeconds: 3_600,
  // Fractions of a second keep the test short; the configuration file takes whole seconds.
  targetHealth: { recheckSeconds: 0.2, windowSeconds: 600 },
};

const autoScaling = mockClient(AutoScalingClient);
const ec2 = mockClient(EC2Client);
const cloudWatch = mockClient(CloudWatchClient);
const elb = mockClient(ElasticLoadBalancingV2Client);

describe('target health follow-ups through the refresh queue', () => {
  let db: TestDatabase;
  let store: CacheStore;
  let close: () => Promise<void>;
  let runtime: AgentRuntime | undefined;
  let health: TargetHealthStateEnum | 'deregistered';
  let desired: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ store, close } = await openCacheStore(db.url, { poolSize: 8 }));
  });
  afterAll(async () => {
    await close();
    await db.drop();
  });
  beforeEach(async () => {
    await db.sql('TRUNCATE refresh_request, cached_resource, cached_relationship');
    health = 'initial';
    desired = 1;
    for (const mock of [autoScaling, ec2, cloudWatch, elb]) mock.reset();
    autoScaling.on(DescribeAutoScalingGroupsCommand).callsFake(() => ({
      AutoScalingGroups: [
        {
          AutoScalingGroupName: GROUP,
          MinSize: 1,
          MaxSize: 4,
          DesiredCapacity: desired,
          DefaultCooldown: 300,
          AvailabilityZones: ['us-east-1a'],
          HealthCheckType: 'ELB',
          CreatedTime: new Date('2026-02-27T09:13:40.512Z'),
          VPCZoneIdentifier: SUBNET,
          TargetGroupARNs: [TG_ARN],
          Instances: [
            {
              InstanceId: INSTANCE,
              AvailabilityZone: 'us-east-1a',
              LifecycleState: 'InService',
              HealthStatus: 'Healthy',
              ProtectedFromScaleIn: false,
            },
          ],
        },
      ],
    }));
    autoScaling.on(DescribePoliciesCommand).resolves({ ScalingPolicies: [] });
    autoScaling.on(DescribeScheduledActionsCommand).resolves({ ScheduledUpdateGroupActions: [] });
    cloudWatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [{ SubnetId: SUBNET, VpcId: VPC }] });
    elb.on(DescribeTargetGroupsCommand).resolves({
      TargetGroups: [
        {
          TargetGroupArn: TG_ARN,
          TargetGroupName: 'orders-main-tg',
          Protocol: 'HTTP',
          Port: 7001,
          VpcId: VPC,
          TargetType: 'instance',
          LoadBalancerArns: [
            'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/orders-main-alb/50dc6c495c0c9188',
          ],
        },
      ],
    });
    elb.on(DescribeTargetGroupAttributesCommand).resolves({
      Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '300' }],
    });
    elb.on(DescribeTargetHealthCommand).callsFake(() => ({
      TargetHealthDescriptions:
        health === 'deregistered'
          ? []
          : [
              {
                Target: { Id: INSTANCE, Port: 7001 },
                HealthCheckPort: '7001',
                TargetHealth:
                  health === 'initial'
                    ? {
                        State: 'initial',
                        Reason: 'Elb.RegistrationInProgress',
                        Description: 'Target registration is in progress',
                      }
                    : { State: health },
              },
            ],
    }));
  });
  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
  });

  const start = async () => {
    const aws = createAwsAgents({
      accounts: [PROD],
      aws: AWS,
      clientFactory: new AwsClientPool(AWS, {
        baseCredentials: () => Promise.resolve({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' }),
      }),
    });
    runtime = replica(store, 'worker-a', { providers: [], refreshers: aws.refreshers, runScheduler: false });
    await runtime.start();
  };
  const refreshServerGroup = () =>
    store.refreshes.enqueue([
      refreshRequestFor(
        {
          type: 'serverGroups',
          account: 'prod',
          region: REGION,
          key: SG_KEY,
          partial: false,
          id: GROUP,
          idKind: 'autoScalingGroupName',
        },
        'event',
        new Date(),
      ),
    ]);
  const refreshInstance = () =>
    store.refreshes.enqueue([
      refreshRequestFor(
        {
          type: 'instances',
          account: 'prod',
          region: REGION,
          key: instanceKey({ account: 'prod', region: REGION, instanceId: INSTANCE }),
          partial: false,
          id: INSTANCE,
          idKind: 'instanceId',
        },
        'event',
        new Date(),
      ),
    ]);
  const stateOfTarget = async () => {
    const tg = await store.resources.findByKey(TG_KEY);
    const [description] = (tg?.attributes.targetHealthDescriptions ?? []) as {
      targetHealth: { state: string };
    }[];
    return description?.targetHealth.state;
  };
  const requestsOf = (key: string) =>
    db.sql<{ status: string; parked: boolean }>(
      `SELECT status, not_before > now() AS parked FROM refresh_request WHERE key = $1 ORDER BY id`,
      [key],
    );
  const settledRequests = async (key: string) => {
    const rows = await requestsOf(key);
    return rows.length > 0 && rows.every((r) => r.status === 'succeeded') ? rows : undefined;
  };

  it('reads the target group of a changed server group, re-checks it while its target is initial, and stops once healthy', async () => {
    await refreshServerGroup();
    await start();

    // The server group was new: its target group is read, and while the target is initial a
    // re-check waits in the queue.
    await eventually(async () => (await stateOfTarget()) === 'initial');
    await eventually(async () => (await requestsOf(TG_KEY)).some((r) => r.status === 'pending'));
    expect((await store.resources.relationshipsOf([TG_KEY])).get(TG_KEY)).toMatchObject({
      instances: [`aws:instances:prod:us-east-1:${INSTANCE}`],
      serverGroups: [SG_KEY],
    });

    health = 'healthy';
    await eventually(async () => (await stateOfTarget()) === 'healthy');
    // Healthy: the last read asked for nothing more, so every request of the key is done.
    const done = await eventually(() => settledRequests(TG_KEY));
    expect(done.length).toBeGreaterThanOrEqual(2);
    expect(elb.commandCalls(DescribeTargetHealthCommand).length).toBe(done.length);
  });

  it('does not read the target group again when the server group is refreshed unchanged, and does when it changed', async () => {
    health = 'healthy';
    await refreshServerGroup();
    await start();
    await eventually(async () => (await stateOfTarget()) === 'healthy');
    await eventually(() => settledRequests(TG_KEY));

    await refreshServerGroup();
    await eventually(
      async () => (await requestsOf(SG_KEY)).filter((r) => r.status === 'succeeded').length === 2,
    );
    expect(await requestsOf(TG_KEY)).toEqual([{ status: 'succeeded', parked: false }]);

    desired = 2; // the group changed
    await refreshServerGroup();
    await eventually(async () => (await requestsOf(TG_KEY)).length === 2 && settledRequests(TG_KEY));
    expect(elb.commandCalls(DescribeTargetHealthCommand)).toHaveLength(2);
  });

  it('reads the target groups of the server group of an instance that changed, until its target has drained', async () => {
    health = 'draining';
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          ReservationId: 'r-0a1b2c3d4e5f60001',
          OwnerId: '123456789012',
          Instances: [
            {
              InstanceId: INSTANCE,
              InstanceType: 'm5.large',
              State: { Code: 32, Name: 'shutting-down' },
              SubnetId: SUBNET,
              VpcId: VPC,
              Tags: [{ Key: 'aws:autoscaling:groupName', Value: GROUP }],
            },
          ],
        },
      ],
    });
    await refreshInstance();
    await start();

    await eventually(async () => (await stateOfTarget()) === 'draining');
    health = 'deregistered';
    await eventually(async () => {
      const tg = await store.resources.findByKey(TG_KEY);
      return (tg?.attributes.targetHealthDescriptions as unknown[] | undefined)?.length === 0;
    });
    // Drained: re-checks stop; the group's target groups were read through the group, by ARN after.
    const done = await eventually(() => settledRequests(TG_KEY));
    expect(done.length).toBeGreaterThanOrEqual(1);
    await eventually(() => settledRequests('targetGroups|prod|us-east-1|autoScalingGroupName|' + GROUP));
    expect((await store.resources.relationshipsOf([TG_KEY])).get(TG_KEY)?.instances).toBeUndefined();
  });
});
