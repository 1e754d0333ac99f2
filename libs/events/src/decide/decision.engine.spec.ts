import { fixtureJson, fixtureText } from '../__fixtures__/event.fixtures';
import { parseCacheKey } from '../keys/cache-key.parser';
import { type AwsEvent } from '../model/event.model';
import { parseApiDestinationBody, parseSqsMessageBody } from '../parse/ingest.parser';
import { AccountDirectory } from './account.directory';
import { decide } from './decision.engine';
import {
  type Decision,
  type DecisionContext,
  type RefreshTarget,
  refreshCoalescingKey,
} from './decision.model';

const NOW = Date.parse('2024-05-01T12:00:00Z');

const context: DecisionContext = {
  accounts: new AccountDirectory([
    {
      name: 'prod',
      accountId: '123456789012',
      environment: 'prod',
      regions: [{ name: 'us-east-1' }, { name: 'us-east-2' }, { name: 'us-west-2' }],
    },
    { name: 'staging', accountId: '210987654321', environment: 'nonprod' },
  ]),
  clock: { now: () => NOW },
};

function parse(body: string | object, options: Parameters<typeof parseSqsMessageBody>[1] = {}): AwsEvent {
  const result = parseSqsMessageBody(typeof body === 'string' ? body : JSON.stringify(body), options);
  if (!result.ok) throw new Error(`${result.reason}: ${result.message}`);
  return result.value.event;
}

function fixture(name: string): AwsEvent {
  return parse(fixtureText(`eventbridge/${name}.json`));
}

/** A fixture with some fields changed, e.g. a different account (raw JSON: loosely typed on purpose). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function variant(name: string, change: (e: Record<string, any>) => void): AwsEvent {
  const raw = fixtureJson(`eventbridge/${name}.json`);
  change(raw);
  return parse(raw);
}

function targets(decision: Decision): RefreshTarget[] {
  if (decision.kind !== 'refresh') throw new Error(`expected refresh, got ${JSON.stringify(decision)}`);
  return [...decision.targets];
}

function keys(decision: Decision): string[] {
  return targets(decision).map((t) => t.key);
}

describe('decide', () => {
  describe('EC2 instance events', () => {
    it.each(['ec2-instance-state-change', 'ec2-rebalance-recommendation'])(
      '%s refreshes the instance',
      (name) => {
        const e = fixture(name);
        expect(decide(e, context)).toEqual({
          kind: 'refresh',
          eventId: e.id,
          targets: [
            {
              type: 'instances',
              account: 'prod',
              region: e.region,
              key: `aws:instances:prod:${e.region}:i-1234567890abcdef0`,
              partial: false,
              id: 'i-1234567890abcdef0',
              idKind: 'instanceId',
            },
          ],
        });
      },
    );

    it('refreshes the Spot instance in the envelope region, not the AZ of its ARN', () => {
      expect(keys(decide(fixture('ec2-spot-interruption-warning'), context))).toEqual([
        'aws:instances:prod:us-east-2:i-1234567890abcdef0',
      ]);
    });
  });

  describe('Auto Scaling events', () => {
    it.each([
      'autoscaling-launch-lifecycle-action',
      'autoscaling-terminate-lifecycle-action',
      'autoscaling-launch-successful',
      'autoscaling-terminate-successful',
    ])('%s refreshes the server group and the instance', (name) => {
      expect(targets(decide(fixture(name), context))).toEqual([
        expect.objectContaining({
          type: 'serverGroups',
          key: 'aws:serverGroups:orders-api-prod:prod:us-west-2:orders-api-prod-v042',
          id: 'orders-api-prod-v042',
          idKind: 'autoScalingGroupName',
          partial: false,
        }),
        expect.objectContaining({
          type: 'instances',
          key: 'aws:instances:prod:us-west-2:i-1234567890abcdef0',
        }),
      ]);
    });

    it('refreshes only the server group when a launch failed before an instance existed', () => {
      expect(keys(decide(fixture('autoscaling-launch-unsuccessful'), context))).toEqual([
        'aws:serverGroups:orders-api-prod:prod:us-west-2:orders-api-prod-v042',
      ]);
    });

    it('gives keys whose parse is the details object Orca waits for', () => {
      const [serverGroup] = targets(decide(fixture('autoscaling-launch-successful'), context));
      expect(parseCacheKey(serverGroup.key)).toMatchObject({
        serverGroup: 'orders-api-prod-v042',
        region: 'us-west-2',
        account: 'prod',
        cluster: 'orders-api-prod',
        application: 'orders',
        sequence: '42',
      });
    });

    it('skips server groups whose names Clouddriver cannot key, keeping the instance', () => {
      const e = variant(
        'autoscaling-launch-successful',
        (raw) => (raw.detail.AutoScalingGroupName = 'eks nodes (managed)'),
      );
      expect(keys(decide(e, context))).toEqual(['aws:instances:prod:us-west-2:i-1234567890abcdef0']);
    });

    it('handles lifecycle-hook and SNS notifications like the EventBridge events', () => {
      const hook = parse(fixtureText('notifications/autoscaling-lifecycle-hook-sqs.json'), {
        region: 'us-west-2',
      });
      expect(keys(decide(hook, context))).toEqual([
        'aws:serverGroups:orders-api-prod:prod:us-west-2:orders-api-prod-v042',
        'aws:instances:prod:us-west-2:i-0aaaaaaaaaaaaaaa3',
      ]);
      const viaSns = parse(fixtureText('sqs/sns-autoscaling-launch.json'));
      expect(keys(decide(viaSns, context))).toEqual([
        'aws:serverGroups:orders-api-prod:prod:us-west-2:orders-api-prod-v042',
        'aws:instances:prod:us-west-2:i-0aaaaaaaaaaaaaaa3',
      ]);
    });

    it('ignores the test notification', () => {
      const e = parse(fixtureText('notifications/autoscaling-test-notification.json'));
      expect(decide(e, context)).toMatchObject({
        kind: 'ignore',
        reason: 'test_notification',
        eventId: e.id,
      });
    });
  });

  describe('AWS Health', () => {
    it('refreshes each affected instance in detail.eventRegion', () => {
      const e = variant('health-ec2-scheduled-change', (raw) => {
        raw.region = 'us-east-1';
        raw.detail.eventRegion = 'us-west-2';
      });
      expect(keys(decide(e, context))).toEqual([
        'aws:instances:prod:us-west-2:i-abcd1111',
        'aws:instances:prod:us-west-2:i-abcd2222',
      ]);
    });

    it('uses the affected account of an organizational-view event', () => {
      const e = variant(
        'health-ec2-scheduled-change',
        (raw) => (raw.detail.affectedAccount = '210987654321'),
      );
      expect(targets(decide(e, context)).map((t) => t.account)).toEqual(['staging', 'staging']);
    });

    it('backs EC2 agents off while an EC2 operational issue is open, for a limited time', () => {
      const e = fixture('health-ec2-operational-issue');
      expect(decide(e, context)).toEqual({
        kind: 'adjust_intervals',
        eventId: e.id,
        adjustments: [
          {
            account: 'prod',
            region: 'us-east-1',
            types: ['instances', 'launchTemplates', 'securityGroups', 'subnets', 'vpcs'],
            change: { mode: 'factor', factor: 2 },
            expiresAt: NOW + 3_600_000,
            reason: 'aws_health:AWS_EC2_OPERATIONAL_ISSUE:open',
          },
        ],
      });
      const custom = decide(e, { ...context, healthIssues: { factor: 3, ttlMs: 60_000 } });
      expect(custom).toMatchObject({
        adjustments: [{ change: { mode: 'factor', factor: 3 }, expiresAt: NOW + 60_000 }],
      });
    });

    it('resets the intervals when the issue closes', () => {
      const e = variant('health-ec2-operational-issue', (raw) => (raw.detail.statusCode = 'closed'));
      expect(decide(e, context)).toMatchObject({
        kind: 'adjust_intervals',
        adjustments: [{ change: { mode: 'reset' }, reason: 'aws_health:AWS_EC2_OPERATIONAL_ISSUE:closed' }],
      });
      const decision = decide(e, context);
      expect(decision.kind === 'adjust_intervals' && decision.adjustments[0]).not.toHaveProperty('expiresAt');
    });

    it('ignores Health events for services we do not cache', () => {
      const e = variant('health-ec2-operational-issue', (raw) => (raw.detail.service = 'S3'));
      expect(decide(e, context)).toMatchObject({ kind: 'ignore', reason: 'unsupported_event' });
    });

    it('accepts global Health events but does not act on them', () => {
      const e = variant('health-ec2-operational-issue', (raw) => {
        raw.detail.service = 'IAM';
        raw.detail.eventRegion = 'global';
      });
      expect(decide(e, context)).toMatchObject({ kind: 'ignore', reason: 'unsupported_event' });
    });

    it('ignores EC2 notifications that name no instance', () => {
      const e = variant('health-ec2-scheduled-change', (raw) => {
        raw.detail.affectedEntities = [{ entityValue: 'vol-0123456789abcdef0' }];
      });
      expect(decide(e, context)).toMatchObject({ kind: 'ignore', reason: 'no_targets' });
    });
  });

  describe('AWS Config', () => {
    it('refreshes a security group with its complete key from the item', () => {
      expect(targets(decide(fixture('config-item-change'), context))).toEqual([
        {
          type: 'securityGroups',
          account: 'prod',
          region: 'us-east-1',
          key: 'aws:securityGroups:orders-api:sg-0123456789abcdef0:us-east-1:prod:vpc-0a1b2c3d',
          partial: false,
          id: 'sg-0123456789abcdef0',
          idKind: 'securityGroupId',
        },
      ]);
    });

    it('refreshes the instance named by an oversized notification without reading S3', () => {
      expect(keys(decide(fixture('config-oversized-item-change'), context))).toEqual([
        'aws:instances:prod:us-west-2:i-0a1b2c3d4e5f60718',
      ]);
    });

    it('handles the SNS form of the same notification', () => {
      expect(keys(decide(parse(fixtureText('sqs/sns-config-item-change.json')), context))).toEqual([
        'aws:securityGroups:orders-api:sg-0123456789abcdef0:us-east-1:prod:vpc-0a1b2c3d',
      ]);
    });

    const item = (change: Record<string, unknown>, configuration: Record<string, unknown> | null = null) =>
      variant('config-item-change', (raw) => {
        Object.assign(raw.detail.configurationItem, change);
        raw.detail.configurationItem.configuration = configuration;
      });

    it.each<[string, Record<string, unknown>, Record<string, unknown> | null, Partial<RefreshTarget>]>([
      [
        'an ASG by resourceName',
        {
          resourceType: 'AWS::AutoScaling::AutoScalingGroup',
          resourceId:
            'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:uuid:autoScalingGroupName/web-prod-v003',
          resourceName: 'web-prod-v003',
        },
        null,
        {
          type: 'serverGroups',
          key: 'aws:serverGroups:web-prod:prod:us-east-1:web-prod-v003',
          partial: false,
        },
      ],
      [
        'an ASG by the ARN suffix',
        {
          resourceType: 'AWS::AutoScaling::AutoScalingGroup',
          resourceId: 'x',
          resourceName: null,
          ARN: 'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0a1b:autoScalingGroupName/web-prod-v004',
        },
        null,
        { type: 'serverGroups', key: 'aws:serverGroups:web-prod:prod:us-east-1:web-prod-v004' },
      ],
      [
        'an ALB with vpc and type from its configuration',
        {
          resourceType: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
          resourceId:
            'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web-prod/50dc6c495c0c9188',
          resourceName: 'web-prod',
          ARN: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web-prod/50dc6c495c0c9188',
        },
        { vpcId: 'vpc-0a1b2c3d', type: 'application' },
        {
          type: 'loadBalancers',
          key: 'aws:loadBalancers:prod:us-east-1:web-prod:vpc-0a1b2c3d:application',
          partial: false,
          idKind: 'loadBalancerArn',
        },
      ],
      [
        'a classic ELB',
        {
          resourceType: 'AWS::ElasticLoadBalancing::LoadBalancer',
          resourceId: 'web-classic',
          resourceName: 'web-classic',
          ARN: undefined,
        },
        { vpcid: 'vpc-0a1b2c3d' },
        {
          type: 'loadBalancers',
          key: 'aws:loadBalancers:prod:us-east-1:web-classic:vpc-0a1b2c3d',
          partial: false,
          idKind: 'loadBalancerName',
        },
      ],
      [
        'a subnet',
        { resourceType: 'AWS::EC2::Subnet', resourceId: 'subnet-0123456789abcdef0' },
        null,
        { type: 'subnets', key: 'aws:subnets:subnet-0123456789abcdef0:prod:us-east-1' },
      ],
      [
        'a VPC',
        { resourceType: 'AWS::EC2::VPC', resourceId: 'vpc-0a1b2c3d' },
        null,
        { type: 'vpcs', key: 'aws:vpcs:vpc-0a1b2c3d:prod:us-east-1' },
      ],
      [
        'a launch template by name',
        {
          resourceType: 'AWS::EC2::LaunchTemplate',
          resourceId: 'lt-0123456789abcdef0',
          resourceName: 'web-prod-v003',
        },
        null,
        {
          type: 'launchTemplates',
          key: 'aws:launchTemplates:prod:us-east-1:web-prod-v003',
          idKind: 'launchTemplateName',
          partial: false,
        },
      ],
      [
        'a deleted security group (no configuration: partial key)',
        {
          resourceType: 'AWS::EC2::SecurityGroup',
          configurationItemStatus: 'ResourceDeleted',
          resourceName: null,
        },
        null,
        {
          type: 'securityGroups',
          key: 'aws:securityGroups:*:sg-0123456789abcdef0:us-east-1:prod:*',
          partial: true,
          id: 'sg-0123456789abcdef0',
        },
      ],
    ])('refreshes %s', (_name, change, configuration, expected) => {
      expect(targets(decide(item(change, configuration), context))).toEqual([
        expect.objectContaining(expected),
      ]);
    });

    it('accepts global items (IAM) and ignores them as unsupported', () => {
      const e = item({ resourceType: 'AWS::IAM::Role', resourceId: 'AROAEXAMPLE', awsRegion: 'global' });
      expect(e.kind === 'config_item_change' && e.detail.configurationItem.awsRegion).toBe('global');
      expect(decide(e, context)).toMatchObject({ kind: 'ignore', reason: 'unsupported_event' });
    });

    it('ignores resource types we do not cache', () => {
      expect(
        decide(item({ resourceType: 'AWS::S3::Bucket', resourceId: 'my-bucket' }), context),
      ).toMatchObject({
        kind: 'ignore',
        reason: 'unsupported_event',
        message: 'Config resource type AWS::S3::Bucket is not cached',
      });
    });

    it('ignores an item whose identifier is not in AWS format', () => {
      expect(
        decide(item({ resourceType: 'AWS::EC2::Instance', resourceId: 'i-zzz' }), context),
      ).toMatchObject({
        kind: 'ignore',
        reason: 'no_targets',
      });
    });

    it('ignores non-item Config messages', () => {
      const raw = fixtureJson('sqs/sns-config-item-change.json');
      raw.Message = fixtureText('notifications/config-compliance-change-notification.json');
      expect(decide(parse(raw), context)).toMatchObject({ kind: 'ignore', reason: 'unsupported_event' });
    });
  });

  describe('CloudTrail', () => {
    it('refreshes every instance RunInstances created', () => {
      expect(keys(decide(fixture('cloudtrail-run-instances'), context))).toEqual([
        'aws:instances:prod:us-east-1:i-0aaaaaaaaaaaaaaa1',
        'aws:instances:prod:us-east-1:i-0aaaaaaaaaaaaaaa2',
      ]);
    });

    it('ignores a failed call: it changed nothing', () => {
      expect(decide(fixture('cloudtrail-terminate-instances-failed'), context)).toMatchObject({
        kind: 'ignore',
        reason: 'no_change',
        message: 'TerminateInstances failed (Client.UnauthorizedOperation)',
      });
    });

    it('ignores read-only calls', () => {
      expect(decide(fixture('cloudtrail-describe-instances'), context)).toMatchObject({
        kind: 'ignore',
        reason: 'no_change',
      });
    });

    it('refreshes a security group known only by id with a partial key the refresher completes', () => {
      const [target] = targets(decide(fixture('cloudtrail-authorize-security-group-ingress'), context));
      expect(target).toEqual({
        type: 'securityGroups',
        account: 'prod',
        region: 'us-east-1',
        key: 'aws:securityGroups:*:sg-0123456789abcdef0:us-east-1:prod:*',
        partial: true,
        id: 'sg-0123456789abcdef0',
        idKind: 'securityGroupId',
      });
      expect(refreshCoalescingKey(target)).toBe(
        'securityGroups|prod|us-east-1|securityGroupId|sg-0123456789abcdef0',
      );
    });

    it('builds the complete key of a created security group from request and response', () => {
      expect(keys(decide(fixture('cloudtrail-create-security-group'), context))).toEqual([
        'aws:securityGroups:orders-api-elb:sg-0fedcba9876543210:us-east-1:prod:vpc-0a1b2c3d',
      ]);
    });

    it('finds the launch template name inside the wrapped response', () => {
      expect(targets(decide(fixture('cloudtrail-create-launch-template-version'), context))).toEqual([
        expect.objectContaining({
          key: 'aws:launchTemplates:prod:us-east-1:orders-api-prod-v042',
          partial: false,
          idKind: 'launchTemplateName',
        }),
      ]);
    });

    it.each(['cloudtrail-update-auto-scaling-group', 'cloudtrail-set-desired-capacity'])(
      '%s refreshes the server group',
      (name) => {
        expect(keys(decide(fixture(name), context))).toEqual([
          'aws:serverGroups:orders-api-prod:prod:us-west-2:orders-api-prod-v042',
        ]);
      },
    );

    it('refreshes the target group and the registered instances', () => {
      expect(targets(decide(fixture('cloudtrail-register-targets'), context))).toEqual([
        expect.objectContaining({
          type: 'targetGroups',
          key: 'aws:targetGroups:prod:us-east-1:orders-api-prod:*:*',
          partial: true,
          id: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/orders-api-prod/73e2d6bc24d8a067',
          idKind: 'targetGroupArn',
        }),
        expect.objectContaining({ key: 'aws:instances:prod:us-east-1:i-0aaaaaaaaaaaaaaa1' }),
        expect.objectContaining({ key: 'aws:instances:prod:us-east-1:i-0aaaaaaaaaaaaaaa2' }),
      ]);
    });

    it('builds complete keys for a created load balancer and target group', () => {
      expect(targets(decide(fixture('cloudtrail-create-load-balancer'), context))).toEqual([
        expect.objectContaining({
          key: 'aws:loadBalancers:prod:us-east-1:orders-api-prod:vpc-0a1b2c3d:application',
          partial: false,
          id: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/orders-api-prod/50dc6c495c0c9188',
        }),
      ]);
      expect(targets(decide(fixture('cloudtrail-create-target-group'), context))).toEqual([
        expect.objectContaining({
          key: 'aws:targetGroups:prod:us-east-1:orders-api-prod:instance:vpc-0a1b2c3d',
          partial: false,
        }),
      ]);
    });

    it('takes name and type of a deleted load balancer from its ARN', () => {
      expect(targets(decide(fixture('cloudtrail-delete-load-balancer'), context))).toEqual([
        expect.objectContaining({
          key: 'aws:loadBalancers:prod:us-east-1:orders-nlb:*:network',
          partial: true,
          idKind: 'loadBalancerArn',
        }),
      ]);
    });

    it('handles classic load balancers by name', () => {
      expect(keys(decide(fixture('cloudtrail-classic-register-instances'), context))).toEqual([
        'aws:loadBalancers:prod:us-east-1:orders-classic:*',
        'aws:instances:prod:us-east-1:i-0aaaaaaaaaaaaaaa1',
      ]);
    });

    const TG_ARN = (name: string) =>
      `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name}/73e2d6bc24d8a067`;
    const LB_ARN =
      'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web-prod/50dc6c495c0c9188';
    const LISTENER_ARN =
      'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web-prod/50dc6c495c0c9188/f2f7dc8efc522ab2';

    const call = (
      source: string,
      eventName: string,
      requestParameters: unknown,
      responseElements: unknown = null,
    ) =>
      variant('cloudtrail-run-instances', (raw) => {
        raw.source = source;
        raw.detail.eventName = eventName;
        raw.detail.requestParameters = requestParameters;
        raw.detail.responseElements = responseElements;
      });

    it.each<[string, AwsEvent, string[]]>([
      [
        'TerminateInstances',
        call('aws.ec2', 'TerminateInstances', {
          instancesSet: { items: [{ instanceId: 'i-0bbbbbbbbbbbbbbb1' }] },
        }),
        ['aws:instances:prod:us-east-1:i-0bbbbbbbbbbbbbbb1'],
      ],
      [
        'StopInstances (single item)',
        call('aws.ec2', 'StopInstances', { instancesSet: { item: { instanceId: 'i-0bbbbbbbbbbbbbbb1' } } }),
        ['aws:instances:prod:us-east-1:i-0bbbbbbbbbbbbbbb1'],
      ],
      [
        'ModifyInstanceAttribute',
        call('aws.ec2', 'ModifyInstanceAttribute', {
          instanceId: 'i-0bbbbbbbbbbbbbbb1',
          instanceType: { value: 't3.large' },
        }),
        ['aws:instances:prod:us-east-1:i-0bbbbbbbbbbbbbbb1'],
      ],
      [
        'CreateTags on mixed resources',
        call('aws.ec2', 'CreateTags', {
          resourcesSet: {
            items: [
              { resourceId: 'i-0bbbbbbbbbbbbbbb1' },
              { resourceId: 'subnet-0123456789abcdef0' },
              { resourceId: 'vol-0123456789abcdef0' },
            ],
          },
        }),
        [
          'aws:instances:prod:us-east-1:i-0bbbbbbbbbbbbbbb1',
          'aws:subnets:subnet-0123456789abcdef0:prod:us-east-1',
        ],
      ],
      [
        'DeleteSecurityGroup by name',
        call('aws.ec2', 'DeleteSecurityGroup', { groupName: 'legacy' }),
        ['aws:securityGroups:legacy:*:us-east-1:prod:*'],
      ],
      [
        'ModifySecurityGroupRules (wrapped)',
        call('aws.ec2', 'ModifySecurityGroupRules', {
          ModifySecurityGroupRulesRequest: { GroupId: 'sg-0123456789abcdef0' },
        }),
        ['aws:securityGroups:*:sg-0123456789abcdef0:us-east-1:prod:*'],
      ],
      [
        'DeleteLaunchTemplate by id only',
        call('aws.ec2', 'DeleteLaunchTemplate', {
          DeleteLaunchTemplateRequest: { LaunchTemplateId: 'lt-0123456789abcdef0' },
        }),
        ['aws:launchTemplates:prod:us-east-1:*'],
      ],
      [
        'CreateSubnet',
        call(
          'aws.ec2',
          'CreateSubnet',
          { vpcId: 'vpc-0a1b2c3d', cidrBlock: '10.0.1.0/24' },
          { subnet: { subnetId: 'subnet-0123456789abcdef1', vpcId: 'vpc-0a1b2c3d' } },
        ),
        ['aws:subnets:subnet-0123456789abcdef1:prod:us-east-1'],
      ],
      [
        'DeleteVpc',
        call('aws.ec2', 'DeleteVpc', { vpcId: 'vpc-0a1b2c3d' }),
        ['aws:vpcs:vpc-0a1b2c3d:prod:us-east-1'],
      ],
      [
        'CreateAutoScalingGroup',
        call('aws.autoscaling', 'CreateAutoScalingGroup', {
          autoScalingGroupName: 'web-prod-v001',
          targetGroupARNs: [
            'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-prod/73e2d6bc24d8a067',
          ],
        }),
        [
          'aws:serverGroups:web-prod:prod:us-east-1:web-prod-v001',
          'aws:targetGroups:prod:us-east-1:web-prod:*:*',
        ],
      ],
      [
        'DeleteAutoScalingGroup',
        call('aws.autoscaling', 'DeleteAutoScalingGroup', {
          autoScalingGroupName: 'web-prod-v001',
          forceDelete: true,
        }),
        ['aws:serverGroups:web-prod:prod:us-east-1:web-prod-v001'],
      ],
      [
        'DetachInstances',
        call('aws.autoscaling', 'DetachInstances', {
          autoScalingGroupName: 'web-prod-v001',
          instanceIds: ['i-0bbbbbbbbbbbbbbb1'],
          shouldDecrementDesiredCapacity: true,
        }),
        [
          'aws:serverGroups:web-prod:prod:us-east-1:web-prod-v001',
          'aws:instances:prod:us-east-1:i-0bbbbbbbbbbbbbbb1',
        ],
      ],
      [
        'TerminateInstanceInAutoScalingGroup',
        call(
          'aws.autoscaling',
          'TerminateInstanceInAutoScalingGroup',
          { instanceId: 'i-0bbbbbbbbbbbbbbb1', shouldDecrementDesiredCapacity: false },
          { activity: { autoScalingGroupName: 'web-prod-v001' } },
        ),
        [
          'aws:serverGroups:web-prod:prod:us-east-1:web-prod-v001',
          'aws:instances:prod:us-east-1:i-0bbbbbbbbbbbbbbb1',
        ],
      ],
      [
        'CreateOrUpdateTags',
        call('aws.autoscaling', 'CreateOrUpdateTags', {
          tags: [
            { resourceId: 'web-prod-v001', resourceType: 'auto-scaling-group', key: 'team', value: 'web' },
          ],
        }),
        ['aws:serverGroups:web-prod:prod:us-east-1:web-prod-v001'],
      ],
      [
        'DeleteTargetGroup',
        call('aws.elasticloadbalancing', 'DeleteTargetGroup', {
          targetGroupArn:
            'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-prod/73e2d6bc24d8a067',
        }),
        ['aws:targetGroups:prod:us-east-1:web-prod:*:*'],
      ],
      [
        'ModifyLoadBalancerAttributes',
        call('aws.elasticloadbalancing', 'ModifyLoadBalancerAttributes', {
          loadBalancerArn:
            'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web-prod/50dc6c495c0c9188',
          attributes: [],
        }),
        ['aws:loadBalancers:prod:us-east-1:web-prod:*:application'],
      ],
      [
        'DeleteListener',
        call('aws.elasticloadbalancing', 'DeleteListener', {
          listenerArn:
            'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web-prod/50dc6c495c0c9188/f2f7dc8efc522ab2',
        }),
        ['aws:loadBalancers:prod:us-east-1:web-prod:*:application'],
      ],
      [
        'ModifyRule',
        call('aws.elasticloadbalancing', 'ModifyRule', {
          ruleArn:
            'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/net/web-nlb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee',
        }),
        ['aws:loadBalancers:prod:us-east-1:web-nlb:*:network'],
      ],
      [
        'CreateListener forwarding to a target group',
        call('aws.elasticloadbalancing', 'CreateListener', {
          loadBalancerArn: LB_ARN,
          protocol: 'HTTPS',
          port: 443,
          defaultActions: [{ type: 'forward', targetGroupArn: TG_ARN('web-prod') }],
        }),
        [
          'aws:loadBalancers:prod:us-east-1:web-prod:*:application',
          'aws:targetGroups:prod:us-east-1:web-prod:*:*',
        ],
      ],
      [
        'ModifyListener with a weighted forward to two target groups',
        call('aws.elasticloadbalancing', 'ModifyListener', {
          listenerArn: LISTENER_ARN,
          defaultActions: [
            {
              type: 'forward',
              forwardConfig: {
                targetGroups: [
                  { targetGroupArn: TG_ARN('web-prod-blue'), weight: 90 },
                  { targetGroupArn: TG_ARN('web-prod-green'), weight: 10 },
                ],
              },
            },
          ],
        }),
        [
          'aws:loadBalancers:prod:us-east-1:web-prod:*:application',
          'aws:targetGroups:prod:us-east-1:web-prod-blue:*:*',
          'aws:targetGroups:prod:us-east-1:web-prod-green:*:*',
        ],
      ],
      [
        'CreateRule',
        call('aws.elasticloadbalancing', 'CreateRule', {
          listenerArn: LISTENER_ARN,
          priority: 10,
          conditions: [{ field: 'path-pattern', values: ['/api/*'] }],
          actions: [{ type: 'forward', targetGroupArn: TG_ARN('web-api') }],
        }),
        [
          'aws:loadBalancers:prod:us-east-1:web-prod:*:application',
          'aws:targetGroups:prod:us-east-1:web-api:*:*',
        ],
      ],
      [
        'AttachTrafficSources',
        call('aws.autoscaling', 'AttachTrafficSources', {
          autoScalingGroupName: 'web-prod-v001',
          trafficSources: [{ identifier: TG_ARN('web-prod'), type: 'elbv2' }],
        }),
        [
          'aws:serverGroups:web-prod:prod:us-east-1:web-prod-v001',
          'aws:targetGroups:prod:us-east-1:web-prod:*:*',
        ],
      ],
      [
        'PutScheduledUpdateGroupAction',
        call('aws.autoscaling', 'PutScheduledUpdateGroupAction', {
          autoScalingGroupName: 'web-prod-v001',
          scheduledActionName: 'weekday-morning',
          recurrence: '0 7 * * MON-FRI',
          desiredCapacity: 4,
        }),
        ['aws:serverGroups:web-prod:prod:us-east-1:web-prod-v001'],
      ],
      [
        'BatchDeleteScheduledAction',
        call('aws.autoscaling', 'BatchDeleteScheduledAction', {
          autoScalingGroupName: 'web-prod-v001',
          scheduledActionNames: ['weekday-morning'],
        }),
        ['aws:serverGroups:web-prod:prod:us-east-1:web-prod-v001'],
      ],
      [
        'AddTags on a target group',
        call('aws.elasticloadbalancing', 'AddTags', {
          resourceArns: [
            'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-prod/73e2d6bc24d8a067',
          ],
          tags: [],
        }),
        ['aws:targetGroups:prod:us-east-1:web-prod:*:*'],
      ],
    ])('%s', (_name, e, expected) => {
      expect(keys(decide(e, context))).toEqual(expected);
    });

    it('never puts a malformed identifier into a key', () => {
      const e = call('aws.ec2', 'TerminateInstances', {
        instancesSet: {
          items: [
            { instanceId: 'i-0bbbbbbbbbbbbbbb1:evil' },
            { instanceId: 42 },
            { instanceId: ['i-0bbbbbbbbbbbbbbb1'] },
          ],
        },
      });
      expect(decide(e, context)).toMatchObject({ kind: 'ignore', reason: 'no_targets' });
    });

    it('ignores APIs it does not act on', () => {
      expect(decide(call('aws.ec2', 'CreateKeyPair', { keyName: 'k' }), context)).toMatchObject({
        kind: 'ignore',
        reason: 'unsupported_event',
        message: 'aws.ec2 CreateKeyPair is not supported',
      });
    });
  });

  describe('heartbeat', () => {
    const at = (time: string) => variant('scheduled-event', (raw) => (raw.time = time));

    it('marks the account/region pipeline healthy for period x (tolerated misses + 1)', () => {
      const e = at('2024-05-01T11:59:50Z');
      expect(decide(e, context)).toEqual({
        kind: 'heartbeat',
        eventId: e.id,
        pipelines: [{ account: 'prod', region: 'us-east-1' }],
        healthyUntil: Date.parse('2024-05-01T11:59:50Z') + 120_000, // twice the 60 s period by default
      });
      expect(decide(e, { ...context, heartbeat: { periodMs: 30_000, toleratedMisses: 0 } })).toMatchObject({
        healthyUntil: Date.parse('2024-05-01T11:59:50Z') + 30_000,
      });
    });

    it('does not trust a clock ahead of ours', () => {
      expect(decide(at('2024-05-01T13:00:00Z'), context)).toMatchObject({ healthyUntil: NOW + 120_000 });
    });

    it('ignores a heartbeat that arrives too late to vouch for the pipeline', () => {
      expect(decide(at('2024-05-01T11:50:00Z'), context)).toMatchObject({
        kind: 'ignore',
        reason: 'stale_heartbeat',
      });
    });

    it('ignores heartbeats from accounts or regions not configured', () => {
      const other = variant('scheduled-event', (raw) => {
        raw.time = '2024-05-01T11:59:50Z';
        raw.account = '999999999999';
      });
      expect(decide(other, context)).toMatchObject({ kind: 'ignore', reason: 'unknown_account' });
      const elsewhere = variant('scheduled-event', (raw) => {
        raw.time = '2024-05-01T11:59:50Z';
        raw.region = 'eu-central-1';
      });
      expect(decide(elsewhere, context)).toMatchObject({ kind: 'ignore', reason: 'unknown_region' });
    });

    it('only counts the configured heartbeat rules when some are configured', () => {
      const e = at('2024-05-01T11:59:50Z');
      expect(decide(e, { ...context, heartbeat: { ruleNames: ['event-cache-heartbeat'] } })).toMatchObject({
        kind: 'heartbeat',
      });
      expect(decide(e, { ...context, heartbeat: { ruleNames: ['other-rule'] } })).toMatchObject({
        kind: 'ignore',
        reason: 'unsupported_event',
      });
    });
  });

  describe('accounts and regions', () => {
    it('drops events from accounts not in the config', () => {
      const e = variant('ec2-instance-state-change', (raw) => (raw.account = '999999999999'));
      expect(decide(e, context)).toEqual({
        kind: 'ignore',
        eventId: e.id,
        reason: 'unknown_account',
        message: 'AWS account 999999999999 is not configured',
      });
    });

    it('drops events from regions the account is not configured for', () => {
      const e = variant('ec2-instance-state-change', (raw) => (raw.region = 'eu-west-1'));
      expect(decide(e, context)).toMatchObject({ kind: 'ignore', reason: 'unknown_region' });
    });

    it('accepts any region for an account without a region list', () => {
      const e = variant('ec2-instance-state-change', (raw) => {
        raw.account = '210987654321';
        raw.region = 'ap-southeast-2';
      });
      expect(keys(decide(e, context))).toEqual(['aws:instances:staging:ap-southeast-2:i-1234567890abcdef0']);
    });

    it('refreshes for every Spinnaker account of the AWS account', () => {
      const shared: DecisionContext = {
        ...context,
        accounts: new AccountDirectory([
          { name: 'prod', accountId: '123456789012' },
          { name: 'prod-readonly', accountId: '123456789012', regions: ['us-east-1'] },
          { name: 'prod-west', accountId: '123456789012', regions: ['us-west-2'] },
        ]),
      };
      expect(keys(decide(fixture('ec2-instance-state-change'), shared))).toEqual([
        'aws:instances:prod:us-east-1:i-1234567890abcdef0',
        'aws:instances:prod-readonly:us-east-1:i-1234567890abcdef0',
      ]);
    });

    it('reports unsupported events before looking at the account', () => {
      const e = variant('unsupported-s3-object-created', (raw) => (raw.account = '999999999999'));
      expect(decide(e, context)).toMatchObject({
        kind: 'ignore',
        reason: 'unsupported_event',
        message: 'aws.s3 / Object Created is not supported',
      });
    });
  });

  it('never carries resource state: targets hold identifiers only', () => {
    const decision = decide(fixture('cloudtrail-run-instances'), context);
    for (const target of targets(decision)) {
      expect(Object.keys(target).sort()).toEqual([
        'account',
        'id',
        'idKind',
        'key',
        'partial',
        'region',
        'type',
      ]);
    }
  });

  it('deduplicates targets named twice', () => {
    const e = variant('cloudtrail-run-instances', (raw) => {
      raw.detail.requestParameters = { instancesSet: { items: [{ instanceId: 'i-0aaaaaaaaaaaaaaa1' }] } };
    });
    expect(keys(decide(e, context))).toEqual([
      'aws:instances:prod:us-east-1:i-0aaaaaaaaaaaaaaa1',
      'aws:instances:prod:us-east-1:i-0aaaaaaaaaaaaaaa2',
    ]);
  });

  it('decides API-destination events the same way', () => {
    const result = parseApiDestinationBody(fixtureText('eventbridge/ec2-instance-state-change.json'));
    if (!result.ok) throw new Error(result.message);
    expect(decide(result.value.event, context)).toEqual(
      decide(fixture('ec2-instance-state-change'), context),
    );
  });
});
