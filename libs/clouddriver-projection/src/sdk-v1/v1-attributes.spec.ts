import { AutoScalingGroup$ } from '@aws-sdk/client-auto-scaling';
import { Instance$, SecurityGroup$, Vpc$ } from '@aws-sdk/client-ec2';
import { Rule$ } from '@aws-sdk/client-elastic-load-balancing-v2';
import { toV1 } from './v1-attributes';

describe('toV1', () => {
  it('names a security group rule`s IPv4 ranges ipv4Ranges, as the v1 IpPermission bean does', () => {
    const group = toV1(
      SecurityGroup$,
      {
        groupId: 'sg-0a1b2c3d4e5f60710',
        ipPermissions: [
          { ipProtocol: 'tcp', fromPort: 22, toPort: 22, ipRanges: [{ cidrIp: '10.0.0.0/16' }] },
        ],
      },
      'amazon',
    );
    expect(group.ipPermissions).toEqual([
      {
        ipProtocol: 'tcp',
        fromPort: 22,
        toPort: 22,
        ipv4Ranges: [{ cidrIp: '10.0.0.0/16' }],
        ipv6Ranges: [],
        prefixListIds: [],
        userIdGroupPairs: [],
      },
    ]);
  });

  it('writes an Is<Name> Boolean also under <name> with the main mapper (it auto-detects is-getters)', () => {
    const rule = { ruleArn: 'arn:rule', priority: 'default', isDefault: true };
    expect(toV1(Rule$, rule, 'jackson')).toMatchObject({ isDefault: true, default: true });
    expect(toV1(Vpc$, { vpcId: 'vpc-1', isDefault: false }, 'amazon')).toEqual(
      expect.not.objectContaining({ default: expect.anything() }),
    );
  });

  it('leaves out what the v1 SDK never had, lists included', () => {
    const instance = toV1(
      Instance$,
      {
        instanceId: 'i-07f8e1a2b3c4d5e61',
        monitoring: { state: 'disabled' },
        operator: { managed: false },
        networkPerformanceOptions: { bandwidthWeighting: 'default' },
      },
      'jackson',
    );
    expect(instance).not.toHaveProperty('operator');
    expect(instance).not.toHaveProperty('networkPerformanceOptions');
    expect(instance).not.toHaveProperty('secondaryInterfaces');
    expect(instance.monitoring).toEqual({ state: 'disabled' });
    expect(instance.blockDeviceMappings).toEqual([]);

    const group = toV1(
      AutoScalingGroup$,
      {
        autoScalingGroupName: 'orders-main-v042',
        vpcZoneIdentifier: 'subnet-0a1b2c3d4e5f60001',
        availabilityZoneDistribution: { capacityDistributionStrategy: 'balanced-best-effort' },
      },
      'jackson',
    );
    expect(group).not.toHaveProperty('availabilityZoneDistribution');
    expect(group).not.toHaveProperty('availabilityZoneIds');
    expect(group).toMatchObject({ vpczoneIdentifier: 'subnet-0a1b2c3d4e5f60001', availabilityZones: [] });

    const rule = toV1(Rule$, { conditions: [{ field: 'path-pattern', values: ['/a/*'] }] }, 'jackson');
    expect(rule).not.toHaveProperty('transforms');
    expect(rule.conditions).toEqual([{ field: 'path-pattern', values: ['/a/*'] }]);
  });
});
