import {
  applicationKey,
  clusterKey,
  instanceKey,
  launchTemplateKey,
  loadBalancerKey,
  securityGroupKey,
  serverGroupKey,
  subnetKey,
  targetGroupKey,
  vpcKey,
} from './cache-key.builder';
import { parseCacheKey } from './cache-key.parser';

// Expected strings and parse results follow Clouddriver's AWS Keys / KeysSpec.
describe('cache key builders', () => {
  it('builds instance keys', () => {
    expect(instanceKey({ account: 'prod', region: 'us-east-1', instanceId: 'i-0abc' })).toBe(
      'aws:instances:prod:us-east-1:i-0abc',
    );
  });

  it('builds server-group keys with the Frigga cluster', () => {
    expect(
      serverGroupKey({ account: 'prod', region: 'us-west-2', serverGroup: 'orders-api-prod-v042' }),
    ).toBe('aws:serverGroups:orders-api-prod:prod:us-west-2:orders-api-prod-v042');
    expect(serverGroupKey({ account: 'test', region: 'r', serverGroup: 'theAsg' })).toBe(
      'aws:serverGroups:theAsg:test:r:theAsg',
    );
    expect(serverGroupKey({ account: 'a', region: 'r', serverGroup: 'x-v001', cluster: 'explicit' })).toBe(
      'aws:serverGroups:explicit:a:r:x-v001',
    );
  });

  it('refuses server-group names outside the Frigga convention instead of writing "null" parts', () => {
    expect(serverGroupKey({ account: 'a', region: 'r', serverGroup: 'my asg' })).toBeUndefined();
    expect(serverGroupKey({ account: 'a', region: 'r', serverGroup: 'a:b' })).toBeUndefined();
  });

  it('lowercases the application in cluster and application keys', () => {
    expect(clusterKey({ application: 'Orders', account: 'prod', cluster: 'Orders-api' })).toBe(
      'aws:clusters:orders:prod:Orders-api',
    );
    expect(applicationKey({ application: 'theApp' })).toBe('aws:applications:theapp');
  });

  it('builds launch-template keys', () => {
    expect(
      launchTemplateKey({ account: 'prod', region: 'us-east-1', launchTemplateName: 'orders-api-prod-v042' }),
    ).toBe('aws:launchTemplates:prod:us-east-1:orders-api-prod-v042');
  });

  it.each([
    [{ vpcId: null, loadBalancerType: 'classic' }, 'aws:loadBalancers:account:region:lbname'],
    [{ vpcId: null, loadBalancerType: null }, 'aws:loadBalancers:account:region:lbname'],
    [{ vpcId: 'vpc', loadBalancerType: 'classic' }, 'aws:loadBalancers:account:region:lbname:vpc'],
    [{ vpcId: 'vpc', loadBalancerType: null }, 'aws:loadBalancers:account:region:lbname:vpc'],
    [
      { vpcId: 'vpc', loadBalancerType: 'application' },
      'aws:loadBalancers:account:region:lbname:vpc:application',
    ],
    // typed load balancers require a vpcId
    [{ vpcId: null, loadBalancerType: 'application' }, 'aws:loadBalancers:account:region:lbname'],
  ])('builds load-balancer keys backwards-compatibly (%p)', (extra, expected) => {
    expect(
      loadBalancerKey({ account: 'account', region: 'region', loadBalancerName: 'lbname', ...extra }),
    ).toBe(expected);
  });

  it('builds target-group keys with type and vpc, "null" when there is no vpc', () => {
    expect(
      targetGroupKey({
        account: 'prod',
        region: 'us-east-1',
        targetGroupName: 'orders',
        targetType: 'instance',
        vpcId: 'vpc-1',
      }),
    ).toBe('aws:targetGroups:prod:us-east-1:orders:instance:vpc-1');
    expect(
      targetGroupKey({
        account: 'prod',
        region: 'us-east-1',
        targetGroupName: 'fn',
        targetType: 'lambda',
        vpcId: null,
      }),
    ).toBe('aws:targetGroups:prod:us-east-1:fn:lambda:null');
  });

  it('builds security-group, subnet and vpc keys in their (different) part orders', () => {
    expect(
      securityGroupKey({ name: 'orders', id: 'sg-1', region: 'us-east-1', account: 'prod', vpcId: 'vpc-1' }),
    ).toBe('aws:securityGroups:orders:sg-1:us-east-1:prod:vpc-1');
    expect(
      securityGroupKey({ name: 'default', id: 'sg-2', region: 'us-east-1', account: 'prod', vpcId: null }),
    ).toBe('aws:securityGroups:default:sg-2:us-east-1:prod:null');
    expect(subnetKey({ id: 'subnet-1', account: 'prod', region: 'us-east-1' })).toBe(
      'aws:subnets:subnet-1:prod:us-east-1',
    );
    expect(vpcKey({ id: 'vpc-1', account: 'prod', region: 'us-east-1' })).toBe(
      'aws:vpcs:vpc-1:prod:us-east-1',
    );
  });
});

describe('parseCacheKey', () => {
  it('yields the details object Orca matches server groups on', () => {
    expect(parseCacheKey('aws:serverGroups:orders-api-prod:prod:us-west-2:orders-api-prod-v042')).toEqual({
      provider: 'aws',
      type: 'serverGroups',
      account: 'prod',
      region: 'us-west-2',
      serverGroup: 'orders-api-prod-v042',
      cluster: 'orders-api-prod',
      application: 'orders',
      stack: 'api',
      detail: 'prod',
      sequence: '42',
    });
  });

  it.each([
    ['theAsg', { application: 'theasg', cluster: 'theAsg', stack: null, detail: null, sequence: null }],
    ['theAsg-v001', { application: 'theasg', cluster: 'theAsg', stack: null, detail: null, sequence: '1' }],
    [
      'theAsg-test-v001',
      { application: 'theasg', cluster: 'theAsg-test', stack: 'test', detail: null, sequence: '1' },
    ],
    [
      'theAsg--details-v001',
      { application: 'theasg', cluster: 'theAsg--details', stack: null, detail: 'details', sequence: '1' },
    ],
  ])('parses server group %s like Clouddriver', (asg, expected) => {
    const key = serverGroupKey({ account: 'account', region: 'region', serverGroup: asg })!;
    expect(parseCacheKey(key)).toEqual({
      provider: 'aws',
      type: 'serverGroups',
      account: 'account',
      region: 'region',
      serverGroup: asg,
      ...expected,
    });
  });

  it('parses cluster, application and instance keys', () => {
    expect(parseCacheKey('aws:clusters:application:account:cluster-test-useast1')).toEqual({
      provider: 'aws',
      type: 'clusters',
      application: 'application',
      account: 'account',
      cluster: 'cluster-test-useast1',
      stack: 'test',
      detail: 'useast1',
    });
    expect(parseCacheKey('aws:applications:TheApp')).toEqual({
      provider: 'aws',
      type: 'applications',
      application: 'theapp',
    });
    expect(parseCacheKey('aws:instances:test:us-west-1:i-abc123abc123')).toEqual({
      provider: 'aws',
      type: 'instances',
      account: 'test',
      region: 'us-west-1',
      instanceId: 'i-abc123abc123',
    });
  });

  it('parses launch-template keys', () => {
    expect(
      parseCacheKey(
        launchTemplateKey({
          account: 'account',
          region: 'region',
          launchTemplateName: 'kato-main-v056-10062014221307',
        }),
      ),
    ).toEqual({
      provider: 'aws',
      type: 'launchTemplates',
      launchTemplateName: 'kato-main-v056-10062014221307',
      region: 'region',
      account: 'account',
      application: 'kato',
      stack: 'main',
    });
  });

  it.each([
    ['aws:loadBalancers:account:region:lbname', { vpcId: null, loadBalancerType: 'classic' }],
    ['aws:loadBalancers:account:region:lbname:vpc', { vpcId: 'vpc', loadBalancerType: 'classic' }],
    [
      'aws:loadBalancers:account:region:lbname:vpc:application',
      { vpcId: 'vpc', loadBalancerType: 'application' },
    ],
    ['aws:loadBalancers:account:region:lbname::application', { vpcId: null, loadBalancerType: 'classic' }],
  ])('parses load balancer %s', (key, expected) => {
    expect(parseCacheKey(key)).toEqual({
      provider: 'aws',
      type: 'loadBalancers',
      loadBalancer: 'lbname',
      account: 'account',
      region: 'region',
      application: 'lbname',
      stack: null,
      detail: null,
      ...expected,
    });
  });

  it('parses target groups, reading a "null" vpc as null', () => {
    expect(parseCacheKey('aws:targetGroups:prod:us-east-1:orders-api-prod:instance:vpc-1')).toMatchObject({
      type: 'targetGroups',
      targetGroup: 'orders-api-prod',
      targetType: 'instance',
      vpcId: 'vpc-1',
      application: 'orders',
      stack: 'api',
      detail: 'prod',
    });
    expect(parseCacheKey('aws:targetGroups:prod:us-east-1:fn:lambda:null')).toMatchObject({
      targetType: 'lambda',
      vpcId: null,
    });
  });

  it('parses security groups, including names that contain colons', () => {
    expect(parseCacheKey('aws:securityGroups:orders-api:sg-1:us-east-1:prod:vpc-1')).toEqual({
      provider: 'aws',
      type: 'securityGroups',
      name: 'orders-api',
      id: 'sg-1',
      region: 'us-east-1',
      account: 'prod',
      vpcId: 'vpc-1',
      application: 'orders',
    });
    expect(parseCacheKey('aws:securityGroups:team:a:b:sg-1:us-east-1:prod:null')).toMatchObject({
      name: 'team:a:b',
      id: 'sg-1',
      vpcId: null,
    });
  });

  it('parses subnet and vpc keys', () => {
    expect(parseCacheKey('aws:subnets:subnet-1:prod:us-east-1')).toEqual({
      provider: 'aws',
      type: 'subnets',
      id: 'subnet-1',
      account: 'prod',
      region: 'us-east-1',
    });
    expect(parseCacheKey('aws:vpcs:vpc-1:prod:us-east-1')).toMatchObject({ type: 'vpcs', id: 'vpc-1' });
  });

  it.each([
    'gce:instances:a:r:i-1',
    'aws:images:a:r:ami-1',
    'aws:instances:a:r',
    'aws:instances:a:r:i-1:extra',
    'aws:instances::r:i-1',
    'aws:serverGroups:c:a:r:not a frigga name',
    'aws:securityGroups:sg-1:r:a:null',
    'aws',
    '',
  ])('returns undefined for %p', (key) => {
    expect(parseCacheKey(key)).toBeUndefined();
  });

  it('round-trips every builder', () => {
    const keys = [
      instanceKey({ account: 'a', region: 'r', instanceId: 'i-1' }),
      serverGroupKey({ account: 'a', region: 'r', serverGroup: 'app-stack-v001' })!,
      clusterKey({ application: 'app', account: 'a', cluster: 'app-stack' }),
      applicationKey({ application: 'app' }),
      launchTemplateKey({ account: 'a', region: 'r', launchTemplateName: 'lt' }),
      loadBalancerKey({
        account: 'a',
        region: 'r',
        loadBalancerName: 'lb',
        vpcId: 'vpc-1',
        loadBalancerType: 'network',
      }),
      targetGroupKey({ account: 'a', region: 'r', targetGroupName: 'tg', targetType: 'ip', vpcId: 'vpc-1' }),
      securityGroupKey({ name: 'sg', id: 'sg-1', region: 'r', account: 'a', vpcId: 'vpc-1' }),
      subnetKey({ id: 'subnet-1', account: 'a', region: 'r' }),
      vpcKey({ id: 'vpc-1', account: 'a', region: 'r' }),
    ];
    expect(keys.map((k) => parseCacheKey(k)?.type)).toEqual([
      'instances',
      'serverGroups',
      'clusters',
      'applications',
      'launchTemplates',
      'loadBalancers',
      'targetGroups',
      'securityGroups',
      'subnets',
      'vpcs',
    ]);
  });
});
