import {
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { RefreshItem } from '@event-cache/agents';
import { mockClient } from 'aws-sdk-client-mock';
import {
  agentContext,
  elbError,
  loadBalancer,
  loadBalancerArn,
  REGION,
  scopeFor,
  targetGroup,
  VPC,
} from '../__fixtures__/aws.fixtures';
import {
  AmazonApplicationLoadBalancerCachingAgent,
  LoadBalancerRefresher,
  TargetGroupRefresher,
} from './load-balancers';

const elb = mockClient(ElasticLoadBalancingV2Client);
beforeEach(() => elb.reset());

const accounts = () => {
  const scope = scopeFor();
  return [new Map([['prod', scope.account]]), scope.clients] as const;
};

describe('AmazonApplicationLoadBalancerCachingAgent', () => {
  it('follows Marker pagination and links target groups to their load balancers', async () => {
    elb
      .on(DescribeLoadBalancersCommand)
      .callsFake((input: { Marker?: string }) =>
        input.Marker === undefined
          ? { LoadBalancers: [loadBalancer('orders-main-alb')], NextMarker: 'bWFya2VyLTI=' }
          : { LoadBalancers: [loadBalancer('orders-grpc', 'network')] },
      );
    elb.on(DescribeTargetGroupsCommand).resolves({
      TargetGroups: [
        targetGroup('orders-main-tg', [loadBalancerArn('orders-main-alb')]),
        targetGroup('orders-fn', [loadBalancerArn('orders-main-alb')], 'lambda'),
      ],
    });
    const agent = new AmazonApplicationLoadBalancerCachingAgent(scopeFor());

    const { resources } = await agent.load(agentContext());

    expect(agent.id).toBe('prod/us-east-1/AmazonApplicationLoadBalancerCachingAgent');
    expect(agent.authoritativeTypes).toEqual(['loadBalancers', 'targetGroups']);
    expect(elb.commandCalls(DescribeLoadBalancersCommand).map((c) => c.args[0].input)).toEqual([
      { PageSize: 400, Marker: undefined },
      { PageSize: 400, Marker: 'bWFya2VyLTI=' },
    ]);
    const alb = `aws:loadBalancers:prod:us-east-1:orders-main-alb:${VPC}:application`;
    expect(resources.map((r) => r.key)).toEqual([
      alb,
      `aws:loadBalancers:prod:us-east-1:orders-grpc:${VPC}:network`,
      `aws:targetGroups:prod:us-east-1:orders-main-tg:instance:${VPC}`,
      'aws:targetGroups:prod:us-east-1:orders-fn:lambda:null',
    ]);
    expect(resources[0]).toMatchObject({
      application: 'orders',
      attributes: { dnsName: 'orders-main-alb-1234567890.us-east-1.elb.amazonaws.com', type: 'application' },
    });
    // The lambda target group has no VPC: its load balancer's VPC comes from the load balancer read.
    expect(resources[2].relationships).toEqual({ loadBalancers: [alb] });
    expect(resources[3].relationships).toEqual({ loadBalancers: [alb] });
  });
});

describe('LoadBalancerRefresher', () => {
  it('resolves a partial target by ARN to the full key with VPC and type', async () => {
    elb.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [loadBalancer('orders-main-alb')] });
    const item: RefreshItem = {
      requestId: 'req-1',
      key: 'aws:loadBalancers:prod:us-east-1:orders-main-alb:*:application',
      id: loadBalancerArn('orders-main-alb'),
      idKind: 'loadBalancerArn',
      partial: true,
    };
    const outcome = await new LoadBalancerRefresher(...accounts()).refresh(
      { account: 'prod', region: REGION, type: 'loadBalancers', items: [item] },
      agentContext(),
    );
    expect(outcome.found.map((r) => r.key)).toEqual([
      `aws:loadBalancers:prod:us-east-1:orders-main-alb:${VPC}:application`,
    ]);
    expect(outcome.missing).toEqual([]);
    expect(outcome.agentId).toBe('prod/us-east-1/AmazonApplicationLoadBalancerCachingAgent');
    expect(elb.commandCalls(DescribeLoadBalancersCommand)[0].args[0].input).toMatchObject({
      LoadBalancerArns: [loadBalancerArn('orders-main-alb')],
    });
  });

  it('isolates a deleted load balancer by bisection when LoadBalancerNotFound names none', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `orders-lb-${i}`);
    elb.on(DescribeLoadBalancersCommand).callsFake((input: { Names: string[] }) => {
      if (input.Names.includes('orders-lb-13')) {
        throw elbError('LoadBalancerNotFoundException', 'One or more load balancers not found');
      }
      return { LoadBalancers: input.Names.map((n) => loadBalancer(n)) };
    });
    const items = names.map((name, n): RefreshItem => ({
      requestId: `req-${n}`,
      key: `aws:loadBalancers:prod:us-east-1:${name}:${VPC}:application`,
      id: name,
      idKind: 'loadBalancerName',
      partial: false,
    }));

    const outcome = await new LoadBalancerRefresher(...accounts()).refresh(
      { account: 'prod', region: REGION, type: 'loadBalancers', items },
      agentContext(),
    );

    expect(outcome.missing).toEqual([`aws:loadBalancers:prod:us-east-1:orders-lb-13:${VPC}:application`]);
    expect(outcome.found).toHaveLength(19);
    expect(elb.commandCalls(DescribeLoadBalancersCommand).length).toBeLessThanOrEqual(11);
  });

  it('completes classic load balancer targets without an AWS call (no classic agent)', async () => {
    const outcome = await new LoadBalancerRefresher(...accounts()).refresh(
      {
        account: 'prod',
        region: REGION,
        type: 'loadBalancers',
        items: [
          {
            requestId: 'req-1',
            key: 'aws:loadBalancers:prod:us-east-1:orders-classic:*',
            id: 'orders-classic',
            idKind: 'loadBalancerName',
            partial: true,
          },
        ],
      },
      agentContext(),
    );
    expect(outcome).toMatchObject({ found: [], missing: [], failed: [] });
    expect(elb.commandCalls(DescribeLoadBalancersCommand)).toHaveLength(0);
  });
});

describe('TargetGroupRefresher', () => {
  it('resolves a target group by name and reports a gone one by its glob', async () => {
    elb.on(DescribeTargetGroupsCommand).callsFake((input: { Names: string[] }) => {
      if (input.Names.includes('orders-old-tg')) {
        throw elbError('TargetGroupNotFoundException', "Target groups 'orders-old-tg' not found");
      }
      return { TargetGroups: input.Names.map((n) => targetGroup(n, [loadBalancerArn('orders-main-alb')])) };
    });
    const item = (name: string, n: number): RefreshItem => ({
      requestId: `req-${n}`,
      key: `aws:targetGroups:prod:us-east-1:${name}:*:*`,
      id: name,
      idKind: 'targetGroupName',
      partial: true,
    });
    const outcome = await new TargetGroupRefresher(...accounts()).refresh(
      {
        account: 'prod',
        region: REGION,
        type: 'targetGroups',
        items: [item('orders-main-tg', 1), item('orders-old-tg', 2)],
      },
      agentContext(),
    );
    expect(outcome.found.map((r) => r.key)).toEqual([
      `aws:targetGroups:prod:us-east-1:orders-main-tg:instance:${VPC}`,
    ]);
    expect(outcome.missing).toEqual(['aws:targetGroups:prod:us-east-1:orders-old-tg:*:*']);
  });
});
