import { keyDetails, onDemandType, planOnDemand } from './on-demand.plan';

describe('on-demand types and plans', () => {
  it("reads Clouddriver's type names case-insensitively, singular or plural", () => {
    expect(['ServerGroup', 'servergroup', 'serverGroups', 'SERVERGROUP'].map(onDemandType)).toEqual(
      Array(4).fill('ServerGroup'),
    );
    expect(onDemandType('LoadBalancer')).toBe('LoadBalancer');
    expect(onDemandType('Job')).toBeUndefined();
    expect(onDemandType('constructor')).toBeUndefined();
  });

  it('plans an exact server-group refresh, and nothing for a name outside Frigga', () => {
    expect(
      planOnDemand('ServerGroup', { account: 'prod', region: 'us-east-1', asgName: 'orders-v001' }),
    ).toEqual({
      kind: 'refresh',
      extra: {},
      target: {
        type: 'serverGroups',
        account: 'prod',
        region: 'us-east-1',
        key: 'aws:serverGroups:orders:prod:us-east-1:orders-v001',
        partial: false,
        id: 'orders-v001',
        idKind: 'autoScalingGroupName',
      },
    });
    expect(
      planOnDemand('ServerGroup', { account: 'prod', region: 'us-east-1', asgName: 'Bad Name' }),
    ).toMatchObject({
      kind: 'nothing',
    });
  });

  it('uses the decision logic glob conventions for load balancers known by name', () => {
    const plan = (body: object) =>
      planOnDemand('LoadBalancer', { account: 'p', region: 'r', loadBalancerName: 'lb', ...body });
    expect(plan({})).toMatchObject({ target: { key: 'aws:loadBalancers:p:r:lb:*:*', partial: true } });
    expect(plan({ loadBalancerType: 'classic' })).toMatchObject({
      target: { key: 'aws:loadBalancers:p:r:lb:*', partial: true },
    });
    expect(plan({ vpcId: 'vpc-0abc1234', loadBalancerType: 'classic' })).toMatchObject({
      target: { key: 'aws:loadBalancers:p:r:lb:vpc-0abc1234', partial: false },
      extra: { vpcId: 'vpc-0abc1234' },
    });
  });

  it('runs the security-group agent when no group is named', () => {
    expect(planOnDemand('SecurityGroup', { account: 'p', region: 'r' })).toEqual({
      kind: 'run_agent',
      agentKind: 'SecurityGroupCachingAgent',
    });
  });

  it("gives Orca's details for keys and globs, unknown parts null", () => {
    expect(keyDetails('aws:serverGroups:orders-api:prod:us-east-1:orders-api-v003')).toMatchObject({
      serverGroup: 'orders-api-v003',
      account: 'prod',
      region: 'us-east-1',
      sequence: '3',
    });
    expect(keyDetails('aws:securityGroups:web:*:us-east-1:prod:*')).toMatchObject({
      name: 'web',
      id: null,
      vpcId: null,
    });
    expect(keyDetails('not a key')).toEqual({});
  });
});
