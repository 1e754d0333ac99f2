import { ProjectionPlan } from '../plan';
import { projectNetworkResource } from './networks.projector';

describe('projectNetworkResource', () => {
  it("writes a security group's IPv4 ranges as the v1 IpPermission does: ipv4Ranges objects, no deprecated ipRanges", () => {
    const plan = new ProjectionPlan();
    projectNetworkResource(
      {
        key: 'aws:securityGroups:orders:sg-0123456789abcdef0:us-east-1:prod:vpc-0a1b2c3d4e5f60718',
        type: 'securityGroups',
        account: 'prod',
        region: 'us-east-1',
        application: 'orders',
        attributes: {
          groupId: 'sg-0123456789abcdef0',
          groupName: 'orders',
          ipPermissions: [
            {
              ipProtocol: 'tcp',
              fromPort: 7001,
              toPort: 7001,
              ipRanges: [{ cidrIp: '10.0.0.0/8', description: 'office' }, { cidrIp: '192.168.0.0/16' }],
              ipv6Ranges: [{ cidrIpv6: '2600:1f18:abcd::/48' }],
              userIdGroupPairs: [{ groupId: 'sg-0fedcba9876543210', userId: '123456789012' }],
            },
          ],
          ipPermissionsEgress: [{ ipProtocol: '-1', ipRanges: [{ cidrIp: '0.0.0.0/0' }] }],
        },
        relationships: {},
      },
      new Map(),
      plan,
    );

    const [row] = [...plan.upserts.values()];
    expect(row.data.attributes.ipPermissions).toEqual([
      {
        ipProtocol: 'tcp',
        fromPort: 7001,
        toPort: 7001,
        ipv4Ranges: [{ cidrIp: '10.0.0.0/8', description: 'office' }, { cidrIp: '192.168.0.0/16' }],
        ipv6Ranges: [{ cidrIpv6: '2600:1f18:abcd::/48' }],
        prefixListIds: [],
        userIdGroupPairs: [{ groupId: 'sg-0fedcba9876543210', userId: '123456789012' }],
      },
    ]);
    expect(row.data.attributes.ipPermissionsEgress).toEqual([
      {
        ipProtocol: '-1',
        ipv4Ranges: [{ cidrIp: '0.0.0.0/0' }],
        ipv6Ranges: [],
        prefixListIds: [],
        userIdGroupPairs: [],
      },
    ]);
  });
});
