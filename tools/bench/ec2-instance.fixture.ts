import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { type AwsClientFactory, serverGroupRecords } from '@event-cache/aws-agents';
import type { ResourceRecord } from '@event-cache/cache-store';

/** The account of every fixture record. */
export const ACCOUNT = {
  name: 'prod',
  accountId: '123456789012',
  environment: 'prod',
  regions: [{ name: 'us-east-1' }, { name: 'us-west-2' }],
};

/**
 * Realistic EC2 instance cache records (the DescribeInstances `Instance` shape, ~2 KB of JSON),
 * keyed like Clouddriver, each related to its server group.
 */
export function instanceRecord(i: number, variant = 0): ResourceRecord {
  const account = 'prod';
  const region = i % 2 ? 'us-east-1' : 'us-west-2';
  const app = `app${i % 250}`;
  const asg = `${app}-main-v${String(i % 7).padStart(3, '0')}`;
  const id = `i-${(0x10000000000000 + i).toString(16).padStart(17, '0')}`;
  const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const subnet = `subnet-${(i % 64).toString(16).padStart(17, '0')}`;
  const vpc = `vpc-${(i % 4).toString(16).padStart(17, '0')}`;
  const attributes = {
    instanceId: id,
    imageId: `ami-${(0xabc000 + (i % 40)).toString(16).padStart(17, '0')}`,
    instanceType: ['m5.large', 'c6i.xlarge', 't3.medium', 'r6g.2xlarge'][i % 4],
    state: variant ? { code: 80, name: 'stopped' } : { code: 16, name: 'running' },
    launchTime: new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString(),
    placement: { availabilityZone: `${region}${'abc'[i % 3]}`, groupName: '', tenancy: 'default' },
    privateDnsName: `ip-${ip.replace(/\./g, '-')}.ec2.internal`,
    privateIpAddress: ip,
    subnetId: subnet,
    vpcId: vpc,
    architecture: 'x86_64',
    rootDeviceName: '/dev/xvda',
    rootDeviceType: 'ebs',
    ebsOptimized: true,
    enaSupport: true,
    hypervisor: 'xen',
    virtualizationType: 'hvm',
    monitoring: { state: 'enabled' },
    iamInstanceProfile: {
      arn: `arn:aws:iam::123456789012:instance-profile/${app}InstanceProfile`,
      id: 'AIPAEXAMPLE12345',
    },
    blockDeviceMappings: [
      {
        deviceName: '/dev/xvda',
        ebs: {
          attachTime: '2026-11-01T00:00:00.000Z',
          deleteOnTermination: true,
          status: 'attached',
          volumeId: `vol-${id.slice(2)}`,
        },
      },
    ],
    networkInterfaces: [
      {
        networkInterfaceId: `eni-${id.slice(2)}`,
        macAddress: `0e:${[i >> 24, i >> 16, i >> 8, i, 7].map((b) => (b & 255).toString(16).padStart(2, '0')).join(':')}`,
        privateIpAddress: ip,
        privateDnsName: `ip-${ip.replace(/\./g, '-')}.ec2.internal`,
        sourceDestCheck: true,
        status: 'in-use',
        subnetId: subnet,
        vpcId: vpc,
        ownerId: '123456789012',
        attachment: {
          attachmentId: `eni-attach-${id.slice(2)}`,
          deviceIndex: 0,
          status: 'attached',
          deleteOnTermination: true,
        },
        groups: [{ groupId: `sg-${(i % 30).toString(16).padStart(17, '0')}`, groupName: `${app}-sg` }],
      },
    ],
    securityGroups: [
      { groupId: `sg-${(i % 30).toString(16).padStart(17, '0')}`, groupName: `${app}-sg` },
      { groupId: 'sg-0000000000000ffff', groupName: 'nf-infrastructure' },
    ],
    tags: [
      { key: 'Name', value: asg },
      { key: 'aws:autoscaling:groupName', value: asg },
      { key: 'aws:ec2launchtemplate:id', value: `lt-${(i % 500).toString(16).padStart(17, '0')}` },
      { key: 'aws:ec2launchtemplate:version', value: String(1 + (i % 9)) },
      { key: 'spinnaker:application', value: app },
      { key: 'spinnaker:stack', value: 'main' },
      { key: 'owner', value: `team-${i % 17}@example.com` },
      { key: 'cost-center', value: `cc-${1000 + (i % 50)}` },
    ],
    metadataOptions: {
      httpEndpoint: 'enabled',
      httpPutResponseHopLimit: 2,
      httpTokens: 'required',
      state: 'applied',
    },
    capacityReservationSpecification: { capacityReservationPreference: 'open' },
    cpuOptions: { coreCount: 1, threadsPerCore: 2 },
    health: { state: variant ? 'Unknown' : 'Up', type: 'Amazon' },
  };
  return {
    key: `aws:instances:${account}:${region}:${id}`,
    type: 'instances',
    account,
    region,
    application: app,
    attributes,
    relationships: { serverGroups: [`aws:serverGroups:${app}-main:${account}:${region}:${asg}`] },
  };
}

/**
 * The server groups (with their clusters and applications) the instance records name, as the
 * cluster agent records them from DescribeAutoScalingGroups: each group lists its instances.
 */
export function serverGroupRecordsOf(instances: readonly ResourceRecord[]): ResourceRecord[] {
  const groups = new Map<string, { region: string; name: string; members: ResourceRecord[] }>();
  for (const instance of instances) {
    const tags = instance.attributes.tags as { key: string; value: string }[];
    const name = tags.find((t) => t.key === 'aws:autoscaling:groupName')!.value;
    const id = `${instance.region}|${name}`;
    const group = groups.get(id) ?? { region: instance.region!, name, members: [] };
    group.members.push(instance);
    groups.set(id, group);
  }
  const out = new Map<string, ResourceRecord>();
  for (const { region, name, members } of groups.values()) {
    const first = members[0].attributes;
    const subnet = String(first.subnetId);
    const asg: AutoScalingGroup = {
      AutoScalingGroupName: name,
      AutoScalingGroupARN: `arn:aws:autoscaling:${region}:${ACCOUNT.accountId}:autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/${name}`,
      LaunchTemplate: { LaunchTemplateName: name, Version: '$Latest' },
      MinSize: members.length,
      MaxSize: members.length * 2,
      DesiredCapacity: members.length,
      DefaultCooldown: 300,
      AvailabilityZones: [`${region}a`, `${region}b`, `${region}c`],
      HealthCheckType: 'EC2',
      HealthCheckGracePeriod: 300,
      CreatedTime: new Date(Date.UTC(2026, 10, 1)),
      VPCZoneIdentifier: subnet,
      Instances: members.map((m) => ({
        InstanceId: String(m.attributes.instanceId),
        InstanceType: String(m.attributes.instanceType),
        AvailabilityZone: (m.attributes.placement as { availabilityZone: string }).availabilityZone,
        LifecycleState: 'InService',
        HealthStatus: 'Healthy',
        LaunchTemplate: { LaunchTemplateName: name, Version: '1' },
        ProtectedFromScaleIn: false,
      })),
      Tags: [],
      TargetGroupARNs: [],
      LoadBalancerNames: [],
      SuspendedProcesses: [],
      EnabledMetrics: [],
      TerminationPolicies: ['Default'],
      NewInstancesProtectedFromScaleIn: false,
    };
    const records = serverGroupRecords(
      asg,
      { account: ACCOUNT, region, clients: {} as AwsClientFactory },
      new Map([[subnet, String(first.vpcId)]]),
      { scalingPolicies: [], scheduledActions: [] },
    );
    if (!records) throw new Error(`${name} is not a Frigga name`);
    for (const r of [records.serverGroup, records.cluster, records.application]) out.set(r.key, r);
  }
  return [...out.values()];
}
