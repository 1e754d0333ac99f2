import { camelCaseKey, toCacheAttributes } from './cache-attributes';

describe('toCacheAttributes', () => {
  it('camelCases keys as Clouddriver does, keeps values, turns dates into ISO strings', () => {
    expect(
      toCacheAttributes({
        $metadata: { httpStatusCode: 200 },
        NatGatewayId: 'nat-0abc',
        DNSName: 'x.elb.amazonaws.com',
        VPCZoneIdentifier: 'subnet-1,subnet-2',
        CreateTime: new Date('2025-01-02T03:04:05Z'),
        Tags: [{ Key: 'Name', Value: 'Egress' }],
        State: undefined,
      }),
    ).toEqual({
      natGatewayId: 'nat-0abc',
      dnsName: 'x.elb.amazonaws.com',
      vpcZoneIdentifier: 'subnet-1,subnet-2',
      createTime: '2025-01-02T03:04:05.000Z',
      tags: [{ key: 'Name', value: 'Egress' }],
    });
  });

  it.each([
    ['InstanceId', 'instanceId'],
    ['DNSName', 'dnsName'],
    ['VPCZoneIdentifier', 'vpcZoneIdentifier'],
    ['AMILaunchIndex', 'amiLaunchIndex'],
    ['Ipv6Address', 'ipv6Address'],
    ['ARN', 'arn'],
    ['VPCId', 'vpcId'],
    ['alreadyCamel', 'alreadyCamel'],
  ])('%s -> %s', (key, expected) => {
    expect(camelCaseKey(key)).toBe(expected);
  });
});
