import type { AwsClientFactory } from '@event-cache/aws-agents';
import type { Clock } from '@event-cache/agents';

/** The size of the simulated account/region. */
export interface AccountShape {
  instances: number;
  autoScalingGroups: number;
  securityGroups: number;
  loadBalancers: number;
  subnets: number;
  vpcs: number;
}

/** Latency of one AWS call: a base, a cost per item returned, and a seeded ±jitter. */
export interface LatencyModel {
  baseMs: number;
  perItemMs: number;
  jitter: number;
}

type Obj = Record<string, unknown>;
type Tag = { Key: string; Value: string };

/** Tag carrying each resource's change counter: what a cache record was read from. */
export const VERSION_TAG = 'bench:version';

/**
 * An in-process AWS for one account/region: EC2, Auto Scaling, ELBv2 and CloudWatch answer the
 * Describe calls the AWS agents make, with the SDK's output shapes, pagination tokens and id
 * filters, after a simulated latency on the injected clock. Every call is counted by API. Changes
 * replace the resource object (a page already returned keeps its snapshot, as AWS responses do).
 * Each Auto Scaling group has a scale-up and a scale-down policy with one alarm each (every fifth
 * one a scheduled action too) and a target group whose targets are its instances (running ones
 * `healthy`, others `unused`); each load balancer one HTTPS listener with a default rule.
 */
export class AwsDouble {
  readonly calls = new Map<string, number>();
  private readonly instances = new Map<string, Obj>();
  private readonly instanceOrder: string[] = [];
  private readonly groups = new Map<string, Obj>();
  private readonly templates: Obj[] = [];
  private readonly versions: Obj[] = [];
  private readonly securityGroups: Obj[] = [];
  private readonly loadBalancers: Obj[] = [];
  private readonly targetGroups: Obj[] = [];
  private readonly subnets: Obj[] = [];
  private readonly vpcs: Obj[] = [];
  private readonly policies: Obj[] = [];
  private readonly scheduledActions: Obj[] = [];
  private readonly alarms = new Map<string, Obj>();
  /** Target group ARN -> the Auto Scaling group whose instances are its targets. */
  private readonly groupOfTargetGroup = new Map<string, string>();
  private readonly random: () => number;

  constructor(
    private readonly clock: Clock,
    shape: AccountShape,
    private readonly latency: LatencyModel,
    seed = 42,
  ) {
    this.random = mulberry32(seed);
    this.build(shape);
  }

  /** Clients that send every command to this double (the AWS agents' only use of a client). */
  clients(): AwsClientFactory {
    const client = (service: string) => ({
      send: (
        command: { constructor: { name: string }; input: Obj },
        options?: { abortSignal?: AbortSignal },
      ) =>
        this.handle(
          service,
          command.constructor.name.replace(/Command$/, ''),
          command.input,
          options?.abortSignal,
        ),
    });
    const ec2 = client('ec2');
    const autoScaling = client('autoscaling');
    const elb = client('elbv2');
    const cloudWatch = client('cloudwatch');
    return {
      ec2: () => ec2,
      autoScaling: () => autoScaling,
      elasticLoadBalancingV2: () => elb,
      cloudWatch: () => cloudWatch,
      configService: () => {
        throw new Error('AWS Config is not simulated');
      },
    } as unknown as AwsClientFactory;
  }

  instanceIds(): string[] {
    return [...this.instances.keys()];
  }

  groupNames(): string[] {
    return [...this.groups.keys()];
  }

  /** An instance changes (state, tags ...): returns its new version. */
  changeInstance(id: string): number {
    const current = this.instances.get(id)!;
    const version = versionOf(current) + 1;
    const running = (current.State as Obj).Name === 'running';
    this.instances.set(id, {
      ...current,
      State: running ? { Code: 80, Name: 'stopped' } : { Code: 16, Name: 'running' },
      Tags: withVersion(current.Tags as Tag[], version),
    });
    return version;
  }

  /** An Auto Scaling group changes (capacity ...): returns its new version. */
  changeGroup(name: string): number {
    const current = this.groups.get(name)!;
    const version = versionOf(current) + 1;
    this.groups.set(name, {
      ...current,
      DesiredCapacity: (current.DesiredCapacity as number) + (version % 2 ? 1 : -1),
      Tags: withVersion(current.Tags as Tag[], version),
    });
    return version;
  }

  totalCalls(): number {
    return [...this.calls.values()].reduce((a, b) => a + b, 0);
  }

  /**
   * One call's output, at once and counted, for an AWS endpoint that serves this double on the
   * wire (`startAwsEndpoint`): the SDK's output shape without `$metadata`.
   */
  answerCall(service: string, api: string, input: Obj): Obj {
    this.calls.set(`${service}:${api}`, (this.calls.get(`${service}:${api}`) ?? 0) + 1);
    return this.answer(api, input);
  }

  private async handle(service: string, api: string, input: Obj, signal?: AbortSignal): Promise<Obj> {
    const answer = this.answerCall(service, api, input);
    const items = Object.values(answer).reduce<number>((n, v) => n + (Array.isArray(v) ? v.length : 0), 0);
    const { baseMs, perItemMs, jitter } = this.latency;
    await this.clock.sleep((baseMs + perItemMs * items) * (1 - jitter + 2 * jitter * this.random()), signal);
    signal?.throwIfAborted();
    return { $metadata: { httpStatusCode: 200 }, ...answer };
  }

  private answer(api: string, input: Obj): Obj {
    switch (api) {
      case 'DescribeInstances': {
        if (Array.isArray(input.InstanceIds)) {
          const ids = input.InstanceIds as string[];
          const missing = ids.filter((id) => !this.instances.has(id));
          if (missing.length) {
            throw Object.assign(new Error(`The instance IDs '${missing.join(', ')}' do not exist`), {
              name: 'InvalidInstanceID.NotFound',
            });
          }
          return { Reservations: ids.map((id) => ({ Instances: [this.instances.get(id)] })) };
        }
        // Pages over the ids in a fixed order; a page filters its slice (AWS pages may come short).
        const states = filterValues(input, 'instance-state-name');
        const { page, next } = paginate(this.instanceOrder, input.NextToken, input.MaxResults, 1_000);
        const instances = page
          .map((id) => this.instances.get(id)!)
          .filter((i) => !states || states.includes((i.State as Obj).Name as string));
        return { Reservations: instances.map((i) => ({ Instances: [i] })), NextToken: next };
      }
      case 'DescribeAutoScalingGroups': {
        const names = input.AutoScalingGroupNames as string[] | undefined;
        const all: Obj[] = names
          ? names.flatMap((n): Obj[] => {
              const g = this.groups.get(n);
              return g ? [g] : [];
            })
          : [...this.groups.values()];
        const { page, next } = paginate(all, input.NextToken, input.MaxRecords, 50);
        return { AutoScalingGroups: page, NextToken: next };
      }
      case 'DescribeSubnets':
        return this.listed('Subnets', this.byFilter(this.subnets, input, 'subnet-id', 'SubnetId'), input);
      case 'DescribeVpcs':
        return this.listed('Vpcs', this.byFilter(this.vpcs, input, 'vpc-id', 'VpcId'), input);
      case 'DescribeSecurityGroups': {
        const ids = input.GroupIds as string[] | undefined;
        const all = ids
          ? this.securityGroups.filter((g) => ids.includes(g.GroupId as string))
          : this.securityGroups;
        return this.listed('SecurityGroups', all, input);
      }
      case 'DescribeLaunchTemplates':
        return this.listed('LaunchTemplates', this.templates, input);
      case 'DescribeLaunchTemplateVersions':
        return this.listed('LaunchTemplateVersions', this.versions, input);
      case 'DescribeLoadBalancers': {
        const all = this.named(
          this.loadBalancers,
          input,
          'Names',
          'LoadBalancerName',
          'LoadBalancerArns',
          'LoadBalancerArn',
        );
        const { page, next } = paginate(all, input.Marker, input.PageSize, 400);
        return { LoadBalancers: page, NextMarker: next };
      }
      case 'DescribeTargetGroups': {
        const all = this.named(
          this.targetGroups,
          input,
          'Names',
          'TargetGroupName',
          'TargetGroupArns',
          'TargetGroupArn',
        );
        const { page, next } = paginate(all, input.Marker, input.PageSize, 400);
        return { TargetGroups: page, NextMarker: next };
      }
      case 'DescribePolicies': {
        const { page, next } = paginate(
          this.ofGroup(this.policies, input),
          input.NextToken,
          input.MaxRecords,
          50,
        );
        return { ScalingPolicies: page, NextToken: next };
      }
      case 'DescribeScheduledActions': {
        const all = this.ofGroup(this.scheduledActions, input);
        const { page, next } = paginate(all, input.NextToken, input.MaxRecords, 50);
        return { ScheduledUpdateGroupActions: page, NextToken: next };
      }
      case 'DescribeAlarms': {
        const names = (input.AlarmNames as string[] | undefined) ?? [...this.alarms.keys()];
        const all = names.flatMap((n): Obj[] => {
          const alarm = this.alarms.get(n);
          return alarm ? [alarm] : [];
        });
        const { page, next } = paginate(all, input.NextToken, input.MaxRecords, 50);
        return { MetricAlarms: page, CompositeAlarms: [], NextToken: next };
      }
      case 'DescribeListeners': {
        const lbArn = input.LoadBalancerArn as string;
        const listener = `${lbArn.replace(':loadbalancer/', ':listener/')}/0000000000000001`;
        const forward = this.targetGroups.find((tg) => (tg.LoadBalancerArns as string[]).includes(lbArn));
        return {
          Listeners: [
            {
              ListenerArn: listener,
              LoadBalancerArn: lbArn,
              Port: 443,
              Protocol: 'HTTPS',
              DefaultActions: forward ? [{ Type: 'forward', TargetGroupArn: forward.TargetGroupArn }] : [],
            },
          ],
        };
      }
      case 'DescribeRules': {
        const listener = input.ListenerArn as string;
        return {
          Rules: [
            {
              RuleArn: `${listener.replace(':listener/', ':listener-rule/')}/00000000000000ff`,
              Priority: 'default',
              Conditions: [],
              Actions: [],
              IsDefault: true,
            },
          ],
        };
      }
      case 'DescribeLoadBalancerAttributes':
        return { Attributes: [{ Key: 'deletion_protection.enabled', Value: 'false' }] };
      case 'DescribeTargetGroupAttributes':
        return { Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '300' }] };
      case 'DescribeTargetHealth': {
        const group = this.groups.get(this.groupOfTargetGroup.get(input.TargetGroupArn as string) ?? '');
        const members = (group?.Instances as Obj[] | undefined) ?? [];
        return {
          TargetHealthDescriptions: members.map((m) => {
            const instance = this.instances.get(m.InstanceId as string);
            const running = (instance?.State as Obj | undefined)?.Name === 'running';
            return {
              Target: { Id: m.InstanceId, Port: 7001 },
              HealthCheckPort: '7001',
              TargetHealth: running
                ? { State: 'healthy' }
                : {
                    State: 'unused',
                    Reason: 'Target.InvalidState',
                    Description: 'Target is in the stopped state',
                  },
            };
          }),
        };
      }
      default:
        throw new Error(`${api} is not simulated`);
    }
  }

  /** All of `all`, or those whose `nameField` / `arnField` is in the input's names / ARNs. */
  private named(
    all: Obj[],
    input: Obj,
    names: string,
    nameField: string,
    arns: string,
    arnField: string,
  ): Obj[] {
    const wanted = (input[names] ?? input[arns]) as string[] | undefined;
    if (!wanted) return all;
    const field = input[names] ? nameField : arnField;
    return all.filter((o) => wanted.includes(o[field] as string));
  }

  /** All of `all`, or those of the input's AutoScalingGroupName. */
  private ofGroup(all: Obj[], input: Obj): Obj[] {
    const group = input.AutoScalingGroupName as string | undefined;
    return group === undefined ? all : all.filter((o) => o.AutoScalingGroupName === group);
  }

  private listed(field: string, all: Obj[], input: Obj): Obj {
    const { page, next } = paginate(all, input.NextToken, input.MaxResults, 1_000);
    return { [field]: page, NextToken: next };
  }

  private byFilter(all: Obj[], input: Obj, filter: string, field: string): Obj[] {
    const values = filterValues(input, filter);
    return values ? all.filter((o) => values.includes(o[field] as string)) : all;
  }

  private build(shape: AccountShape): void {
    const hex = (n: number, width = 17) => Math.floor(n).toString(16).padStart(width, '0');
    for (let v = 0; v < shape.vpcs; v++) {
      this.vpcs.push({
        VpcId: `vpc-${hex(v)}`,
        CidrBlock: `10.${v}.0.0/16`,
        State: 'available',
        IsDefault: false,
      });
    }
    for (let s = 0; s < shape.subnets; s++) {
      this.subnets.push({
        SubnetId: `subnet-${hex(s)}`,
        VpcId: `vpc-${hex(s % shape.vpcs)}`,
        AvailabilityZone: `us-east-1${'abc'[s % 3]}`,
        CidrBlock: `10.${s % shape.vpcs}.${s}.0/20`,
        AvailableIpAddressCount: 4000,
      });
    }
    for (let g = 0; g < shape.securityGroups; g++) {
      this.securityGroups.push({
        GroupId: `sg-${hex(g)}`,
        GroupName: `app${g % 100}-sg${g}`,
        VpcId: `vpc-${hex(g % shape.vpcs)}`,
        Description: 'managed by spinnaker',
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 7001, ToPort: 7001, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
        ],
        IpPermissionsEgress: [],
        OwnerId: '123456789012',
      });
    }
    for (let l = 0; l < shape.loadBalancers; l++) {
      const name = `app${l % 100}-lb${l}`;
      this.loadBalancers.push({
        LoadBalancerArn: `arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/${name}/${hex(l, 16)}`,
        LoadBalancerName: name,
        DNSName: `${name}-1.us-east-1.elb.amazonaws.com`,
        Type: 'application',
        Scheme: 'internal',
        VpcId: `vpc-${hex(l % shape.vpcs)}`,
        State: { Code: 'active' },
        CreatedTime: new Date(Date.UTC(2025, 0, 1)),
      });
    }
    const perGroup = Math.ceil(shape.instances / shape.autoScalingGroups);
    let instance = 0;
    for (let g = 0; g < shape.autoScalingGroups; g++) {
      const name = `app${g % 100}-main-v${String(Math.floor(g / 100)).padStart(3, '0')}`;
      const tgName = `${name}-tg`;
      const tgArn = `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${tgName}/${hex(g, 16)}`;
      const subnet = (g * 2) % shape.subnets;
      const templateId = `lt-${hex(g)}`;
      this.targetGroups.push({
        TargetGroupArn: tgArn,
        TargetGroupName: tgName,
        Protocol: 'HTTP',
        Port: 7001,
        VpcId: `vpc-${hex(subnet % shape.vpcs)}`,
        TargetType: 'instance',
        LoadBalancerArns: [this.loadBalancers[g % shape.loadBalancers].LoadBalancerArn],
      });
      this.templates.push({
        LaunchTemplateId: templateId,
        LaunchTemplateName: name,
        DefaultVersionNumber: 1,
        LatestVersionNumber: 1,
        CreateTime: new Date(Date.UTC(2025, 0, 1)),
      });
      this.versions.push({
        LaunchTemplateId: templateId,
        LaunchTemplateName: name,
        VersionNumber: 1,
        DefaultVersion: true,
        LaunchTemplateData: { ImageId: `ami-${hex(g % 40)}`, InstanceType: 'm5.large' },
      });
      const members: Obj[] = [];
      for (let k = 0; k < perGroup && instance < shape.instances; k++, instance++) {
        const id = `i-${hex(0x10000000000 + instance)}`;
        members.push({
          InstanceId: id,
          AvailabilityZone: 'us-east-1a',
          LifecycleState: 'InService',
          HealthStatus: 'Healthy',
        });
        this.instanceOrder.push(id);
        // A lean Instance (the fields the agents read, plus a few): the bench measures calls and
        // staleness, and the agents' conversion of bigger bodies would only slow the simulation.
        this.instances.set(id, {
          InstanceId: id,
          InstanceType: 'm5.large',
          State: { Code: 16, Name: 'running' },
          SubnetId: `subnet-${hex(subnet)}`,
          VpcId: `vpc-${hex(subnet % shape.vpcs)}`,
          Tags: [
            { Key: 'aws:autoscaling:groupName', Value: name },
            { Key: VERSION_TAG, Value: '0' },
          ],
        });
      }
      this.groupOfTargetGroup.set(tgArn, name);
      for (const direction of ['up', 'down']) {
        const alarm = `${name}-cpu-${direction === 'up' ? 'high' : 'low'}`;
        const alarmArn = `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarm}`;
        const policyArn = `arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:${hex(g, 8)}:autoScalingGroupName/${name}:policyName/scale-${direction}`;
        this.policies.push({
          AutoScalingGroupName: name,
          PolicyName: `scale-${direction}`,
          PolicyARN: policyArn,
          PolicyType: 'StepScaling',
          AdjustmentType: 'ChangeInCapacity',
          StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: direction === 'up' ? 1 : -1 }],
          Alarms: [{ AlarmName: alarm, AlarmARN: alarmArn }],
          Enabled: true,
        });
        this.alarms.set(alarm, {
          AlarmName: alarm,
          AlarmArn: alarmArn,
          AlarmActions: [policyArn],
          StateValue: 'OK',
          MetricName: 'CPUUtilization',
          Namespace: 'AWS/EC2',
          Statistic: 'Average',
          Dimensions: [{ Name: 'AutoScalingGroupName', Value: name }],
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: direction === 'up' ? 70 : 20,
          ComparisonOperator: direction === 'up' ? 'GreaterThanOrEqualToThreshold' : 'LessThanThreshold',
        });
      }
      if (g % 5 === 0) {
        this.scheduledActions.push({
          AutoScalingGroupName: name,
          ScheduledActionName: 'weekday-morning',
          ScheduledActionARN: `arn:aws:autoscaling:us-east-1:123456789012:scheduledUpdateGroupAction:${hex(g, 8)}:autoScalingGroupName/${name}:scheduledActionName/weekday-morning`,
          Recurrence: '0 7 * * MON-FRI',
          MinSize: 0,
          MaxSize: 100,
          DesiredCapacity: members.length,
        });
      }
      this.groups.set(name, {
        AutoScalingGroupName: name,
        AutoScalingGroupARN: `arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:${hex(g, 8)}:autoScalingGroupName/${name}`,
        LaunchTemplate: { LaunchTemplateId: templateId, LaunchTemplateName: name, Version: '$Latest' },
        MinSize: 0,
        MaxSize: 100,
        DesiredCapacity: members.length,
        Instances: members,
        VPCZoneIdentifier: `subnet-${hex(subnet)},subnet-${hex((subnet + 1) % shape.subnets)}`,
        TargetGroupARNs: [tgArn],
        LoadBalancerNames: [],
        HealthCheckType: 'ELB',
        CreatedTime: new Date(Date.UTC(2025, 0, 1)),
        Tags: [{ Key: VERSION_TAG, Value: '0', ResourceId: name, ResourceType: 'auto-scaling-group' }],
      });
    }
  }
}

function paginate<T>(all: readonly T[], token: unknown, size: unknown, defaultSize: number) {
  const start = typeof token === 'string' ? Number(token.slice(2)) : 0;
  const n = typeof size === 'number' ? size : defaultSize;
  const page = all.slice(start, start + n);
  return { page, next: start + n < all.length ? `t:${start + n}` : undefined };
}

function filterValues(input: Obj, name: string): string[] | undefined {
  const filters = input.Filters as { Name: string; Values: string[] }[] | undefined;
  return filters?.find((f) => f.Name === name)?.Values;
}

function versionOf(resource: Obj): number {
  return Number((resource.Tags as Tag[]).find((t) => t.Key === VERSION_TAG)?.Value ?? 0);
}

function withVersion(tags: Tag[], version: number): Tag[] {
  return tags.map((t) => (t.Key === VERSION_TAG ? { ...t, Value: String(version) } : t));
}

/** A small seeded PRNG: the same run every time. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
