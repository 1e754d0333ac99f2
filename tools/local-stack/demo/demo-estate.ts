import type {
  AutoScalingGroup,
  Instance as AsgInstance,
  ScalingPolicy,
  ScheduledUpdateGroupAction,
} from '@aws-sdk/client-auto-scaling';
import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import type {
  _InstanceType,
  Instance,
  LaunchTemplate,
  LaunchTemplateVersion,
  SecurityGroup,
  Subnet,
  Vpc,
} from '@aws-sdk/client-ec2';
import type {
  Listener,
  LoadBalancer,
  Rule,
  TargetGroup,
  TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mulberry32 } from '../../bench/aws-double';
import {
  autoScalingActivity,
  cloudTrailCall,
  type DemoEvent,
  heartbeatEvent,
  instanceStateChange,
} from './demo-events';

/** The simulated account: clearly not a real one. */
export const DEMO_ACCOUNT = { name: 'demo', accountId: '000000000000', region: 'us-east-1' } as const;

export interface DemoEstateOptions {
  /** Epoch ms; `Date.now` by default (tests pass their own clock and call `advance()`). */
  now?: () => number;
  /** Every EventBridge event the estate's changes cause, as AWS would send it. */
  emit(event: DemoEvent): void;
  /** One line per change, for people watching. */
  log?(line: string): void;
  /** Between two changes (default 30 s); the first comes one step after the start. */
  stepMs?: number;
  /** How long a launching instance is pending, and a terminating one shutting down (default 10 s). */
  settleMs?: number;
  /** Terminated instances stay visible this long, as in AWS (default 5 minutes). */
  terminatedRetentionMs?: number;
  /** The heartbeat rule (an `aws.events` Scheduled Event every `periodMs`). */
  heartbeat: { ruleName: string; periodMs: number };
  seed?: number;
}

type ChangeKind = 'scale-out' | 'scale-in' | 'replace' | 'deploy';

/** The changes, in turn: each kind every 3 minutes at the default step; a deploy never overlaps another change of its cluster. */
const SCENARIO: readonly { kind: ChangeKind; cluster: string }[] = [
  { kind: 'scale-out', cluster: 'shop-web' },
  { kind: 'deploy', cluster: 'shop-api' },
  { kind: 'replace', cluster: 'search-main' },
  { kind: 'scale-in', cluster: 'shop-web' },
  { kind: 'deploy', cluster: 'search-main' },
  { kind: 'replace', cluster: 'shop-api' },
];

interface ClusterSpec {
  app: string;
  cluster: string;
  version: number;
  size: number;
  instanceType: _InstanceType;
  securityGroup: string;
  targetGroup?: string;
  policy?: 'target-tracking' | 'step';
  scheduled?: boolean;
}

/** Applications and their server groups at the start (Frigga names: app-stack-detail-vNNN). */
const CLUSTERS: readonly ClusterSpec[] = [
  {
    app: 'shop',
    cluster: 'shop-web',
    version: 1,
    size: 3,
    instanceType: 'm5.large',
    securityGroup: 'shop',
    targetGroup: 'shop-web',
    policy: 'target-tracking',
  },
  {
    app: 'shop',
    cluster: 'shop-api',
    version: 4,
    size: 2,
    instanceType: 'c5.large',
    securityGroup: 'shop',
    targetGroup: 'shop-api',
  },
  {
    app: 'search',
    cluster: 'search-main',
    version: 12,
    size: 2,
    instanceType: 'r5.large',
    securityGroup: 'search',
    targetGroup: 'search-main',
    policy: 'step',
  },
  {
    app: 'billing',
    cluster: 'billing-worker',
    version: 2,
    size: 1,
    instanceType: 't3.medium',
    securityGroup: 'billing',
    scheduled: true,
  },
];

const STATE_CODES = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48 } as const;
type InstanceState = keyof typeof STATE_CODES;

/** An instance with what the estate needs to know about it besides its EC2 description. */
interface DemoInstance {
  instance: Instance;
  group: string;
  terminatedAt?: number;
}

/**
 * A simulated AWS account and region (`demo`, 000000000000, us-east-1) for `npm start` without
 * accounts: a VPC with two subnets, security groups, two Application Load Balancers with
 * listeners, rules and target groups, four applications' server groups (Auto Scaling groups on
 * launch templates, with scaling policies, alarms and a scheduled action) and their instances.
 * Every `stepMs` one thing changes, as in a real account: a scale-out or scale-in, an unhealthy
 * instance replaced, or a deploy (a new server group next to the old one, which is then scaled
 * down and deleted). Each change emits the EventBridge events AWS would (EC2 state changes, Auto
 * Scaling launch/terminate, CloudTrail API calls), and a heartbeat fires every period.
 *
 * The state is held in the AWS SDK's own shapes; `demo-api.ts` answers the Describe calls from it.
 */
export class DemoEstate {
  readonly accountId = DEMO_ACCOUNT.accountId;
  readonly region = DEMO_ACCOUNT.region;
  readonly vpcs: Vpc[] = [];
  readonly subnets: Subnet[] = [];
  readonly securityGroups: SecurityGroup[] = [];
  readonly loadBalancers: LoadBalancer[] = [];
  readonly listeners: Listener[] = [];
  readonly rules: Rule[] = [];
  readonly targetGroups: TargetGroup[] = [];
  readonly groups = new Map<string, AutoScalingGroup>();
  readonly launchTemplates = new Map<
    string,
    { template: LaunchTemplate; versions: LaunchTemplateVersion[] }
  >();
  readonly policies: ScalingPolicy[] = [];
  readonly scheduledActions: ScheduledUpdateGroupAction[] = [];
  readonly alarms: MetricAlarm[] = [];
  private readonly demoInstances = new Map<string, DemoInstance>();
  private readonly timers: { at: number; run: () => void }[] = [];
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly stepMs: number;
  private readonly settleMs: number;
  private readonly retentionMs: number;
  private step = 0;
  private begun = false;
  private interval: NodeJS.Timeout | undefined;
  private readonly created: Date;

  constructor(private readonly options: DemoEstateOptions) {
    this.now = options.now ?? Date.now;
    this.stepMs = options.stepMs ?? 30_000;
    this.settleMs = options.settleMs ?? 10_000;
    this.retentionMs = options.terminatedRetentionMs ?? 300_000;
    this.random = mulberry32(options.seed ?? 20_240_601);
    this.created = new Date(this.now() - 7 * 24 * 3_600_000);
    this.build();
  }

  /** From now on: a heartbeat every period (the first now), a change every step (the first in one step). */
  begin(): void {
    if (this.begun) return;
    this.begun = true;
    const start = this.now();
    const { ruleName, periodMs } = this.options.heartbeat;
    this.every(start, periodMs, () =>
      this.options.emit(heartbeatEvent(this.accountId, this.region, ruleName, this.now())),
    );
    this.every(start + this.stepMs, this.stepMs, () => this.change());
  }

  /** Begins, and runs the clock in real time (every second) until `stop()`. */
  start(): void {
    this.begin();
    this.advance();
    this.interval ??= setInterval(() => this.advance(), 1_000);
  }

  stop(): void {
    clearInterval(this.interval);
    this.interval = undefined;
  }

  /** Runs everything due by now: heartbeats, changes, instances settling, terminated ones fading. */
  advance(): void {
    const now = this.now();
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      if (this.timers.length === 0 || this.timers[0].at > now) break;
      this.timers.shift()!.run();
    }
  }

  /** Every instance EC2 still describes (terminated ones for a while, as AWS does). */
  instances(): Instance[] {
    return [...this.demoInstances.values()].map((d) => d.instance);
  }

  /** The reservation an instance was launched in (one per launch). */
  reservationOf(instance: Instance): string {
    return `r-${instance.InstanceId!.slice(2)}`;
  }

  /** Target health of a target group: the in-service instances of the groups registered with it. */
  targetHealth(targetGroupArn: string): TargetHealthDescription[] {
    const out: TargetHealthDescription[] = [];
    const port = this.targetGroups.find((t) => t.TargetGroupArn === targetGroupArn)?.Port;
    for (const group of this.groups.values()) {
      if (!group.TargetGroupARNs?.includes(targetGroupArn)) continue;
      for (const member of group.Instances ?? []) {
        const state = this.demoInstances.get(member.InstanceId!)?.instance.State?.Name;
        out.push({
          Target: { Id: member.InstanceId, Port: port },
          HealthCheckPort: String(port),
          TargetHealth:
            state === 'running' && member.LifecycleState === 'InService'
              ? { State: 'healthy' }
              : state === 'pending' || member.LifecycleState === 'Pending'
                ? {
                    State: 'initial',
                    Reason: 'Elb.RegistrationInProgress',
                    Description: 'Target registration is in progress',
                  }
                : {
                    State: 'draining',
                    Reason: 'Target.DeregistrationInProgress',
                    Description: 'Target deregistration is in progress',
                  },
        });
      }
    }
    return out;
  }

  /** The server group of a cluster that is serving now (the newest one). */
  currentGroup(cluster: string): AutoScalingGroup | undefined {
    return [...this.groups.values()]
      .filter((g) => clusterOf(g.AutoScalingGroupName!) === cluster)
      .sort((a, b) => a.AutoScalingGroupName!.localeCompare(b.AutoScalingGroupName!))
      .at(-1);
  }

  // --- changes ---------------------------------------------------------------------------------

  /** The next change of the scenario. */
  change(): void {
    const { kind, cluster } = SCENARIO[this.step++ % SCENARIO.length];
    const group = this.currentGroup(cluster);
    if (!group) return;
    switch (kind) {
      case 'scale-out':
        return this.resize(group, (group.DesiredCapacity ?? 0) + 1);
      case 'scale-in':
        return this.resize(group, Math.max(1, (group.DesiredCapacity ?? 1) - 1));
      case 'replace':
        return this.replace(group);
      case 'deploy':
        return this.deploy(group);
    }
  }

  /** SetDesiredCapacity: instances launched or the newest terminated. */
  resize(group: AutoScalingGroup, desired: number): void {
    const name = group.AutoScalingGroupName!;
    const before = group.DesiredCapacity ?? 0;
    if (desired === before) return;
    group.DesiredCapacity = desired;
    group.MaxSize = Math.max(group.MaxSize ?? desired, desired);
    this.options.emit(
      cloudTrailCall(this, 'aws.autoscaling', 'SetDesiredCapacity', this.now(), {
        autoScalingGroupName: name,
        desiredCapacity: desired,
        honorCooldown: false,
      }),
    );
    const cause = `At ${iso(this.now())} a user request explicitly set group desired capacity changing the desired capacity from ${before} to ${desired}.`;
    if (desired > before) {
      this.options.log?.(`scale-out ${name}: ${before} -> ${desired} instances`);
      for (let i = before; i < desired; i++) this.launch(group, cause);
    } else {
      this.options.log?.(`scale-in  ${name}: ${before} -> ${desired} instances`);
      const newest = [...(group.Instances ?? [])]
        .filter((m) => m.LifecycleState === 'InService' || m.LifecycleState === 'Pending')
        .sort((a, b) => this.launchTime(b) - this.launchTime(a));
      for (const member of newest.slice(0, before - desired)) this.terminate(group, member, cause);
    }
  }

  /** An instance fails its health check: Auto Scaling terminates it and launches a replacement. */
  replace(group: AutoScalingGroup): void {
    const member = (group.Instances ?? []).find((m) => m.LifecycleState === 'InService');
    if (!member) return;
    this.options.log?.(
      `replace   ${group.AutoScalingGroupName!}: ${member.InstanceId!} failed its health check`,
    );
    member.HealthStatus = 'Unhealthy';
    const cause = `At ${iso(this.now())} an instance was taken out of service in response to an ELB system health check failure.`;
    this.terminate(group, member, cause);
    this.launch(
      group,
      `At ${iso(this.now())} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${(group.DesiredCapacity ?? 1) - 1} to ${group.DesiredCapacity ?? 1}.`,
    );
  }

  /**
   * A deploy, red/black: a new launch template and server group (`vNNN+1`) with the old one's
   * size, load balancing and scaling policies; once its instances are in service the old group is
   * scaled to 0, then deleted with its launch template.
   */
  deploy(old: AutoScalingGroup): void {
    const oldName = old.AutoScalingGroupName!;
    const spec = CLUSTERS.find((c) => c.cluster === clusterOf(oldName))!;
    const version = (versionOf(oldName) % 999) + 1;
    const size = old.DesiredCapacity ?? spec.size;
    const group = this.createServerGroup({ ...spec, version, size }, this.now(), true);
    this.options.log?.(
      `deploy    ${group.AutoScalingGroupName!}: ${size} new instances, then ${oldName} goes`,
    );
    this.after(this.settleMs * 3, () => {
      this.options.emit(
        cloudTrailCall(this, 'aws.autoscaling', 'UpdateAutoScalingGroup', this.now(), {
          autoScalingGroupName: oldName,
          minSize: 0,
          maxSize: 0,
          desiredCapacity: 0,
        }),
      );
      old.MinSize = 0;
      old.MaxSize = 0;
      old.DesiredCapacity = 0;
      const cause = `At ${iso(this.now())} a user request update of AutoScalingGroup constraints to min: 0, max: 0, desired: 0 changing the desired capacity from ${size} to 0.`;
      for (const member of [...(old.Instances ?? [])]) this.terminate(old, member, cause);
      this.after(this.settleMs * 2, () => this.deleteServerGroup(oldName));
    });
  }

  // --- building blocks ---------------------------------------------------------------------------

  private launch(group: AutoScalingGroup, cause: string): void {
    const name = group.AutoScalingGroupName!;
    const spec = CLUSTERS.find((c) => c.cluster === clusterOf(name))!;
    const start = this.now();
    const subnet = this.subnets[(group.Instances ?? []).length % this.subnets.length];
    const instance = this.newInstance(group, spec, subnet, 'pending', start);
    const id = instance.InstanceId!;
    this.demoInstances.set(id, { instance, group: name });
    const member: AsgInstance = {
      InstanceId: id,
      InstanceType: spec.instanceType,
      AvailabilityZone: subnet.AvailabilityZone,
      LifecycleState: 'Pending',
      HealthStatus: 'Healthy',
      LaunchTemplate: { ...group.LaunchTemplate },
      ProtectedFromScaleIn: false,
    };
    group.Instances = [...(group.Instances ?? []), member];
    this.options.emit(instanceStateChange(this, id, 'pending', start));
    this.after(this.settleMs, () => {
      if (instance.State?.Name !== 'pending') return;
      this.setState(instance, 'running');
      member.LifecycleState = 'InService';
      this.options.emit(instanceStateChange(this, id, 'running', this.now()));
      this.options.emit(
        autoScalingActivity(this, 'launch', group, instance, subnet, cause, start, this.now()),
      );
    });
  }

  private terminate(group: AutoScalingGroup, member: AsgInstance, cause: string): void {
    const demo = this.demoInstances.get(member.InstanceId!);
    if (!demo || demo.terminatedAt !== undefined) return;
    const { instance } = demo;
    const start = this.now();
    member.LifecycleState = 'Terminating';
    this.setState(instance, 'shutting-down');
    this.options.emit(instanceStateChange(this, instance.InstanceId!, 'shutting-down', start));
    this.after(this.settleMs, () => {
      this.setState(instance, 'terminated');
      demo.terminatedAt = this.now();
      group.Instances = (group.Instances ?? []).filter((m) => m.InstanceId !== instance.InstanceId);
      const subnet = this.subnets.find((s) => s.SubnetId === instance.SubnetId)!;
      this.options.emit(instanceStateChange(this, instance.InstanceId!, 'terminated', this.now()));
      this.options.emit(
        autoScalingActivity(this, 'terminate', group, instance, subnet, cause, start, this.now()),
      );
      this.after(this.retentionMs, () => this.demoInstances.delete(instance.InstanceId!));
    });
  }

  private setState(instance: Instance, state: InstanceState): void {
    instance.State = { Code: STATE_CODES[state], Name: state };
    if (state === 'shutting-down' || state === 'terminated') {
      instance.StateTransitionReason = `User initiated (${iso(this.now())
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' GMT')})`;
      instance.StateReason = {
        Code: 'Client.UserInitiatedShutdown',
        Message: 'Client.UserInitiatedShutdown: User initiated shutdown',
      };
    }
    if (state === 'terminated') {
      delete instance.PrivateIpAddress;
      instance.NetworkInterfaces = [];
      instance.SecurityGroups = [];
    }
  }

  private createServerGroup(spec: ClusterSpec, at: number, emitEvents: boolean): AutoScalingGroup {
    const name = `${spec.cluster}-v${String(spec.version).padStart(3, '0')}`;
    const created = new Date(at);
    const image = `ami-0${this.hex(16)}`;
    const sg = this.securityGroups.find((g) => g.GroupName === spec.securityGroup)!;
    const templateId = `lt-0${this.hex(16)}`;
    const template: LaunchTemplate = {
      LaunchTemplateId: templateId,
      LaunchTemplateName: name,
      CreateTime: created,
      CreatedBy: `arn:aws:sts::${this.accountId}:assumed-role/spinnakerManaged/spinnaker`,
      DefaultVersionNumber: 1,
      LatestVersionNumber: 1,
      Tags: [],
    };
    const version: LaunchTemplateVersion = {
      LaunchTemplateId: templateId,
      LaunchTemplateName: name,
      VersionNumber: 1,
      CreateTime: created,
      CreatedBy: template.CreatedBy,
      DefaultVersion: true,
      LaunchTemplateData: {
        ImageId: image,
        InstanceType: spec.instanceType,
        IamInstanceProfile: { Name: `${spec.app}InstanceProfile` },
        SecurityGroupIds: [sg.GroupId!],
        UserData: Buffer.from(`#!/bin/bash\necho "${name}"\n`).toString('base64'),
        Monitoring: { Enabled: false },
        EbsOptimized: false,
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 2, HttpEndpoint: 'enabled' },
      },
    };
    this.launchTemplates.set(templateId, { template, versions: [version] });
    const arn = `arn:aws:autoscaling:${this.region}:${this.accountId}:autoScalingGroup:${this.uuid()}:autoScalingGroupName/${name}`;
    const targetGroup = this.targetGroups.find((t) => t.TargetGroupName === spec.targetGroup);
    const group: AutoScalingGroup = {
      AutoScalingGroupName: name,
      AutoScalingGroupARN: arn,
      LaunchTemplate: { LaunchTemplateId: templateId, LaunchTemplateName: name, Version: '$Latest' },
      MinSize: spec.size,
      MaxSize: Math.max(spec.size, 6),
      DesiredCapacity: spec.size,
      DefaultCooldown: 10,
      AvailabilityZones: this.subnets.map((s) => s.AvailabilityZone!),
      LoadBalancerNames: [],
      TargetGroupARNs: targetGroup ? [targetGroup.TargetGroupArn!] : [],
      HealthCheckType: targetGroup ? 'ELB' : 'EC2',
      HealthCheckGracePeriod: 600,
      Instances: [],
      CreatedTime: created,
      SuspendedProcesses: [],
      VPCZoneIdentifier: this.subnets.map((s) => s.SubnetId!).join(','),
      EnabledMetrics: [],
      Tags: [
        {
          ResourceId: name,
          ResourceType: 'auto-scaling-group',
          Key: 'spinnaker:application',
          Value: spec.app,
          PropagateAtLaunch: true,
        },
      ],
      TerminationPolicies: ['Default'],
      NewInstancesProtectedFromScaleIn: false,
      ServiceLinkedRoleARN: `arn:aws:iam::${this.accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
      CapacityRebalance: false,
      TrafficSources: targetGroup ? [{ Identifier: targetGroup.TargetGroupArn, Type: 'elbv2' }] : [],
    };
    this.groups.set(name, group);
    this.addScaling(spec, group, created);
    if (emitEvents) {
      this.options.emit(
        cloudTrailCall(
          this,
          'aws.ec2',
          'CreateLaunchTemplate',
          at,
          { CreateLaunchTemplateRequest: { LaunchTemplateName: name } },
          {
            CreateLaunchTemplateResponse: {
              launchTemplate: { launchTemplateId: templateId, launchTemplateName: name },
            },
          },
        ),
      );
      this.options.emit(
        cloudTrailCall(this, 'aws.autoscaling', 'CreateAutoScalingGroup', at, {
          autoScalingGroupName: name,
          launchTemplate: { launchTemplateId: templateId, version: '$Latest' },
          minSize: spec.size,
          maxSize: group.MaxSize,
          desiredCapacity: spec.size,
          targetGroupARNs: group.TargetGroupARNs,
          vPCZoneIdentifier: group.VPCZoneIdentifier,
        }),
      );
      const cause = `At ${iso(at)} a user request created an AutoScalingGroup changing the desired capacity from 0 to ${spec.size}.`;
      for (let i = 0; i < spec.size; i++) this.launch(group, cause);
    } else {
      for (let i = 0; i < spec.size; i++) {
        const subnet = this.subnets[i % this.subnets.length];
        const instance = this.newInstance(group, spec, subnet, 'running', at + 60_000);
        this.demoInstances.set(instance.InstanceId!, { instance, group: name });
        group.Instances!.push({
          InstanceId: instance.InstanceId,
          InstanceType: spec.instanceType,
          AvailabilityZone: subnet.AvailabilityZone,
          LifecycleState: 'InService',
          HealthStatus: 'Healthy',
          LaunchTemplate: { ...group.LaunchTemplate },
          ProtectedFromScaleIn: false,
        });
      }
    }
    return group;
  }

  private deleteServerGroup(name: string): void {
    const group = this.groups.get(name);
    if (!group) return;
    this.groups.delete(name);
    const templateId = group.LaunchTemplate?.LaunchTemplateId;
    if (templateId) this.launchTemplates.delete(templateId);
    const policies = this.policies.filter((p) => p.AutoScalingGroupName === name);
    const alarmNames = new Set(policies.flatMap((p) => (p.Alarms ?? []).map((a) => a.AlarmName)));
    remove(this.policies, (p) => p.AutoScalingGroupName === name);
    remove(this.scheduledActions, (a) => a.AutoScalingGroupName === name);
    remove(this.alarms, (a) => alarmNames.has(a.AlarmName));
    this.options.log?.(`delete    ${name}`);
    this.options.emit(
      cloudTrailCall(this, 'aws.autoscaling', 'DeleteAutoScalingGroup', this.now(), {
        autoScalingGroupName: name,
        forceDelete: false,
      }),
    );
    if (templateId)
      this.options.emit(
        cloudTrailCall(
          this,
          'aws.ec2',
          'DeleteLaunchTemplate',
          this.now(),
          { DeleteLaunchTemplateRequest: { LaunchTemplateId: templateId } },
          {
            DeleteLaunchTemplateResponse: {
              launchTemplate: { launchTemplateId: templateId, launchTemplateName: name },
            },
          },
        ),
      );
  }

  private newInstance(
    group: AutoScalingGroup,
    spec: ClusterSpec,
    subnet: Subnet,
    state: InstanceState,
    launched: number,
  ): Instance {
    const id = `i-0${this.hex(16)}`;
    const template = this.launchTemplates.get(group.LaunchTemplate!.LaunchTemplateId!)!;
    const sg = this.securityGroups.find((g) => g.GroupName === spec.securityGroup)!;
    const third = subnet === this.subnets[0] ? 1 : 2;
    const ip = `10.0.${third}.${10 + Math.floor(this.random() * 240)}`;
    const dns = `ip-${ip.replace(/\./g, '-')}.ec2.internal`;
    return {
      InstanceId: id,
      ImageId: template.versions[0].LaunchTemplateData!.ImageId,
      InstanceType: spec.instanceType,
      LaunchTime: new Date(launched),
      Placement: { AvailabilityZone: subnet.AvailabilityZone, GroupName: '', Tenancy: 'default' },
      Monitoring: { State: 'disabled' },
      PrivateDnsName: dns,
      PrivateIpAddress: ip,
      ProductCodes: [],
      PublicDnsName: '',
      State: { Code: STATE_CODES[state], Name: state },
      StateTransitionReason: '',
      SubnetId: subnet.SubnetId,
      VpcId: subnet.VpcId,
      Architecture: 'x86_64',
      BlockDeviceMappings: [
        {
          DeviceName: '/dev/xvda',
          Ebs: {
            AttachTime: new Date(launched),
            DeleteOnTermination: true,
            Status: 'attached',
            VolumeId: `vol-0${this.hex(16)}`,
          },
        },
      ],
      ClientToken: this.uuid(),
      EbsOptimized: false,
      EnaSupport: true,
      Hypervisor: 'xen',
      IamInstanceProfile: {
        Arn: `arn:aws:iam::${this.accountId}:instance-profile/${spec.app}InstanceProfile`,
        Id: `AIPA${this.hex(16).toUpperCase()}`,
      },
      NetworkInterfaces: [
        {
          NetworkInterfaceId: `eni-0${this.hex(16)}`,
          PrivateIpAddress: ip,
          PrivateDnsName: dns,
          SubnetId: subnet.SubnetId,
          VpcId: subnet.VpcId,
          Status: 'in-use',
          Groups: [{ GroupId: sg.GroupId, GroupName: sg.GroupName }],
          OwnerId: this.accountId,
          SourceDestCheck: true,
          InterfaceType: 'interface',
        },
      ],
      RootDeviceName: '/dev/xvda',
      RootDeviceType: 'ebs',
      SecurityGroups: [{ GroupId: sg.GroupId, GroupName: sg.GroupName }],
      SourceDestCheck: true,
      Tags: [
        { Key: 'aws:autoscaling:groupName', Value: group.AutoScalingGroupName },
        { Key: 'aws:ec2launchtemplate:id', Value: group.LaunchTemplate!.LaunchTemplateId },
        { Key: 'aws:ec2launchtemplate:version', Value: '1' },
        { Key: 'spinnaker:application', Value: spec.app },
        { Key: 'Name', Value: group.AutoScalingGroupName },
      ],
      VirtualizationType: 'hvm',
      CpuOptions: { CoreCount: 1, ThreadsPerCore: 2 },
      MetadataOptions: {
        State: 'applied',
        HttpTokens: 'required',
        HttpPutResponseHopLimit: 2,
        HttpEndpoint: 'enabled',
      },
      PlatformDetails: 'Linux/UNIX',
      UsageOperation: 'RunInstances',
    };
  }

  private addScaling(spec: ClusterSpec, group: AutoScalingGroup, at: Date): void {
    const name = group.AutoScalingGroupName!;
    const policyArn = (policy: string) =>
      `arn:aws:autoscaling:${this.region}:${this.accountId}:scalingPolicy:${this.uuid()}:autoScalingGroupName/${name}:policyName/${policy}`;
    const alarm = (alarmName: string, policy: string, threshold: number, above: boolean): MetricAlarm => ({
      AlarmName: alarmName,
      AlarmArn: `arn:aws:cloudwatch:${this.region}:${this.accountId}:alarm:${alarmName}`,
      AlarmConfigurationUpdatedTimestamp: at,
      ActionsEnabled: true,
      OKActions: [],
      AlarmActions: [policy],
      InsufficientDataActions: [],
      StateValue: 'OK',
      StateReason: `Threshold Crossed: 3 datapoints were not ${above ? 'greater' : 'less'} than the threshold (${threshold}.0).`,
      StateUpdatedTimestamp: at,
      MetricName: 'CPUUtilization',
      Namespace: 'AWS/EC2',
      Statistic: 'Average',
      Dimensions: [{ Name: 'AutoScalingGroupName', Value: name }],
      Period: 60,
      EvaluationPeriods: 3,
      Threshold: threshold,
      ComparisonOperator: above ? 'GreaterThanThreshold' : 'LessThanThreshold',
    });
    if (spec.policy === 'target-tracking') {
      const arn = policyArn('cpu-target-50');
      const high = alarm(`TargetTracking-${name}-AlarmHigh-${this.uuid()}`, arn, 50, true);
      const low = alarm(`TargetTracking-${name}-AlarmLow-${this.uuid()}`, arn, 35, false);
      this.alarms.push(high, low);
      this.policies.push({
        AutoScalingGroupName: name,
        PolicyName: 'cpu-target-50',
        PolicyARN: arn,
        PolicyType: 'TargetTrackingScaling',
        StepAdjustments: [],
        Alarms: [high, low].map((a) => ({ AlarmName: a.AlarmName, AlarmARN: a.AlarmArn })),
        TargetTrackingConfiguration: {
          PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' },
          TargetValue: 50,
          DisableScaleIn: false,
        },
        Enabled: true,
      });
    }
    if (spec.policy === 'step') {
      for (const [direction, adjustment, threshold] of [
        ['up', 1, 70],
        ['down', -1, 20],
      ] as const) {
        const arn = policyArn(`scale-${direction}`);
        const a = alarm(
          `${name}-cpu-${direction === 'up' ? 'high' : 'low'}`,
          arn,
          threshold,
          direction === 'up',
        );
        this.alarms.push(a);
        this.policies.push({
          AutoScalingGroupName: name,
          PolicyName: `scale-${direction}`,
          PolicyARN: arn,
          PolicyType: 'StepScaling',
          AdjustmentType: 'ChangeInCapacity',
          MetricAggregationType: 'Average',
          StepAdjustments: [
            direction === 'up'
              ? { MetricIntervalLowerBound: 0, ScalingAdjustment: adjustment }
              : { MetricIntervalUpperBound: 0, ScalingAdjustment: adjustment },
          ],
          Alarms: [{ AlarmName: a.AlarmName, AlarmARN: a.AlarmArn }],
          Enabled: true,
        });
      }
    }
    if (spec.scheduled) {
      this.scheduledActions.push({
        AutoScalingGroupName: name,
        ScheduledActionName: 'nightly-batch',
        ScheduledActionARN: `arn:aws:autoscaling:${this.region}:${this.accountId}:scheduledUpdateGroupAction:${this.uuid()}:autoScalingGroupName/${name}:scheduledActionName/nightly-batch`,
        Recurrence: '0 2 * * *',
        StartTime: at,
        Time: at,
        MinSize: 1,
        MaxSize: 4,
        DesiredCapacity: 3,
        TimeZone: 'Etc/UTC',
      });
    }
  }

  /** The VPC, subnets, security groups, load balancers and the starting server groups. */
  private build(): void {
    const created = this.created;
    const account = this.accountId;
    const vpcId = `vpc-0${this.hex(16)}`;
    this.vpcs.push({
      VpcId: vpcId,
      OwnerId: account,
      InstanceTenancy: 'default',
      CidrBlockAssociationSet: [
        {
          AssociationId: `vpc-cidr-assoc-0${this.hex(16)}`,
          CidrBlock: '10.0.0.0/16',
          CidrBlockState: { State: 'associated' },
        },
      ],
      IsDefault: false,
      Tags: [{ Key: 'Name', Value: 'demo' }],
      CidrBlock: '10.0.0.0/16',
      DhcpOptionsId: `dopt-0${this.hex(16)}`,
      State: 'available',
    });
    ['a', 'b'].forEach((zone, i) => {
      const id = `subnet-0${this.hex(16)}`;
      this.subnets.push({
        AvailabilityZoneId: `use1-az${i + 1}`,
        MapCustomerOwnedIpOnLaunch: false,
        OwnerId: account,
        AssignIpv6AddressOnCreation: false,
        Ipv6CidrBlockAssociationSet: [],
        Tags: [
          { Key: 'Name', Value: `demo.internal.us-east-1${zone}` },
          { Key: 'immutable_metadata', Value: '{"purpose":"internal","target":"ec2"}' },
        ],
        SubnetArn: `arn:aws:ec2:${this.region}:${account}:subnet/${id}`,
        EnableDns64: false,
        Ipv6Native: false,
        SubnetId: id,
        State: 'available',
        VpcId: vpcId,
        CidrBlock: `10.0.${i + 1}.0/24`,
        AvailableIpAddressCount: 240,
        AvailabilityZone: `${this.region}${zone}`,
        DefaultForAz: false,
        MapPublicIpOnLaunch: false,
      });
    });
    const group = (name: string, description: string, ingress: SecurityGroup['IpPermissions']) => {
      const id = `sg-0${this.hex(16)}`;
      const sg: SecurityGroup = {
        GroupId: id,
        IpPermissionsEgress: [
          {
            IpProtocol: '-1',
            UserIdGroupPairs: [],
            IpRanges: [{ CidrIp: '0.0.0.0/0' }],
            Ipv6Ranges: [],
            PrefixListIds: [],
          },
        ],
        Tags: [],
        VpcId: vpcId,
        SecurityGroupArn: `arn:aws:ec2:${this.region}:${account}:security-group/${id}`,
        OwnerId: account,
        GroupName: name,
        Description: description,
        IpPermissions: ingress,
      };
      this.securityGroups.push(sg);
      return sg;
    };
    const fromGroup = (sg: SecurityGroup, port: number) => ({
      IpProtocol: 'tcp',
      FromPort: port,
      ToPort: port,
      UserIdGroupPairs: [{ GroupId: sg.GroupId, UserId: account }],
      IpRanges: [],
      Ipv6Ranges: [],
      PrefixListIds: [],
    });
    const fromCidr = (cidr: string, port: number) => ({
      IpProtocol: 'tcp',
      FromPort: port,
      ToPort: port,
      UserIdGroupPairs: [],
      IpRanges: [{ CidrIp: cidr }],
      Ipv6Ranges: [],
      PrefixListIds: [],
    });
    group('default', 'default VPC security group', []);
    const shopElb = group('shop-elb', 'shop load balancer', [fromCidr('0.0.0.0/0', 80)]);
    const searchElb = group('search-elb', 'search load balancer', [fromCidr('10.0.0.0/16', 80)]);
    group('shop', 'shop application', [fromGroup(shopElb, 7001)]);
    group('search', 'search application', [fromGroup(searchElb, 7001)]);
    group('billing', 'billing application', [fromCidr('10.0.0.0/16', 7001)]);

    const shop = this.loadBalancer('shop-frontend', 'internet-facing', shopElb, vpcId, created);
    const search = this.loadBalancer('search-internal', 'internal', searchElb, vpcId, created);
    const shopWeb = this.targetGroup('shop-web', shop, vpcId);
    const shopApi = this.targetGroup('shop-api', shop, vpcId);
    const searchMain = this.targetGroup('search-main', search, vpcId);
    this.listener(shop, shopWeb, [{ path: '/api/*', target: shopApi, priority: '10' }]);
    this.listener(search, searchMain, []);

    for (const spec of CLUSTERS) this.createServerGroup(spec, created.getTime(), false);
  }

  private loadBalancer(
    name: string,
    scheme: 'internet-facing' | 'internal',
    sg: SecurityGroup,
    vpcId: string,
    created: Date,
  ): LoadBalancer {
    const lb: LoadBalancer = {
      LoadBalancerArn: `arn:aws:elasticloadbalancing:${this.region}:${this.accountId}:loadbalancer/app/${name}/${this.hex(16)}`,
      DNSName: `${scheme === 'internal' ? 'internal-' : ''}${name}-${Math.floor(this.random() * 1e9)}.${this.region}.elb.amazonaws.com`,
      CanonicalHostedZoneId: 'Z35SXDOTRQ7X7K',
      CreatedTime: created,
      LoadBalancerName: name,
      Scheme: scheme,
      VpcId: vpcId,
      State: { Code: 'active' },
      Type: 'application',
      AvailabilityZones: this.subnets.map((s) => ({
        ZoneName: s.AvailabilityZone,
        SubnetId: s.SubnetId,
        LoadBalancerAddresses: [],
      })),
      SecurityGroups: [sg.GroupId!],
      IpAddressType: 'ipv4',
    };
    this.loadBalancers.push(lb);
    return lb;
  }

  private targetGroup(name: string, lb: LoadBalancer, vpcId: string): TargetGroup {
    const tg: TargetGroup = {
      TargetGroupArn: `arn:aws:elasticloadbalancing:${this.region}:${this.accountId}:targetgroup/${name}/${this.hex(16)}`,
      TargetGroupName: name,
      Protocol: 'HTTP',
      Port: 7001,
      VpcId: vpcId,
      HealthCheckProtocol: 'HTTP',
      HealthCheckPort: 'traffic-port',
      HealthCheckEnabled: true,
      HealthCheckIntervalSeconds: 10,
      HealthCheckTimeoutSeconds: 5,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 2,
      HealthCheckPath: '/health',
      Matcher: { HttpCode: '200-299' },
      LoadBalancerArns: [lb.LoadBalancerArn!],
      TargetType: 'instance',
      ProtocolVersion: 'HTTP1',
      IpAddressType: 'ipv4',
    };
    this.targetGroups.push(tg);
    return tg;
  }

  private listener(
    lb: LoadBalancer,
    fallback: TargetGroup,
    paths: { path: string; target: TargetGroup; priority: string }[],
  ): void {
    const forward = (tg: TargetGroup) => [
      {
        Type: 'forward' as const,
        TargetGroupArn: tg.TargetGroupArn,
        Order: 1,
        ForwardConfig: {
          TargetGroups: [{ TargetGroupArn: tg.TargetGroupArn, Weight: 1 }],
          TargetGroupStickinessConfig: { Enabled: false },
        },
      },
    ];
    const lbPath = lb.LoadBalancerArn!.split(':loadbalancer/')[1];
    const listenerArn = `arn:aws:elasticloadbalancing:${this.region}:${this.accountId}:listener/${lbPath}/${this.hex(16)}`;
    this.listeners.push({
      ListenerArn: listenerArn,
      LoadBalancerArn: lb.LoadBalancerArn,
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: forward(fallback),
    });
    const ruleArn = () => `${listenerArn.replace(':listener/', ':listener-rule/')}/${this.hex(16)}`;
    for (const { path, target, priority } of paths) {
      this.rules.push({
        RuleArn: ruleArn(),
        Priority: priority,
        Conditions: [{ Field: 'path-pattern', Values: [path], PathPatternConfig: { Values: [path] } }],
        Actions: forward(target),
        IsDefault: false,
      });
    }
    this.rules.push({
      RuleArn: ruleArn(),
      Priority: 'default',
      Conditions: [],
      Actions: forward(fallback),
      IsDefault: true,
    });
  }

  /** The listener a rule belongs to (rule ARNs extend their listener's). */
  listenerOfRule(rule: Rule): string {
    return rule.RuleArn!.replace(':listener-rule/', ':listener/').replace(/\/[0-9a-f]{16}$/, '');
  }

  private launchTime(member: AsgInstance): number {
    return this.demoInstances.get(member.InstanceId!)?.instance.LaunchTime?.getTime() ?? 0;
  }

  private after(ms: number, run: () => void): void {
    this.timers.push({ at: this.now() + ms, run });
  }

  private every(first: number, period: number, run: () => void): void {
    const tick = (at: number) => {
      this.timers.push({
        at,
        run: () => {
          run();
          tick(at + period);
        },
      });
    };
    tick(first);
  }

  private hex(length: number): string {
    let out = '';
    while (out.length < length) out += Math.floor(this.random() * 16).toString(16);
    return out;
  }

  private uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
  }
}

/** `shop-web-v001` -> `shop-web`. */
export function clusterOf(serverGroup: string): string {
  return serverGroup.replace(/-v\d{3}$/, '');
}

function versionOf(serverGroup: string): number {
  return Number(/-v(\d{3})$/.exec(serverGroup)?.[1] ?? 0);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function remove<T>(list: T[], drop: (item: T) => boolean): void {
  for (let i = list.length - 1; i >= 0; i--) if (drop(list[i])) list.splice(i, 1);
}
