import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { RefreshItem } from '@event-cache/agents';
import { mockClient } from 'aws-sdk-client-mock';
import {
  agentContext,
  asg,
  AWS_CONFIG,
  elbError,
  elbThrottling,
  instanceId,
  listener,
  listenerArn,
  loadBalancer,
  loadBalancerArn,
  loadBalancerAttributes,
  REGION,
  rule,
  scopeFor,
  streamed,
  T0,
  targetGroup,
  targetGroupArn,
  targetGroupAttributes,
  targetHealth,
  VPC,
} from '../__fixtures__/aws.fixtures';
import {
  AmazonApplicationLoadBalancerCachingAgent,
  LoadBalancerRefresher,
  TargetGroupRefresher,
} from './load-balancers';

const elb = mockClient(ElasticLoadBalancingV2Client);
const autoScaling = mockClient(AutoScalingClient);
beforeEach(() => {
  elb.reset();
  autoScaling.reset();
  elb.on(DescribeListenersCommand).resolves({ Listeners: [] });
  elb.on(DescribeRulesCommand).resolves({ Rules: [] });
  elb.on(DescribeLoadBalancerAttributesCommand).resolves({ Attributes: loadBalancerAttributes });
  elb.on(DescribeTargetGroupAttributesCommand).resolves({ Attributes: targetGroupAttributes });
  elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [] });
});

const inputs = <I>(command: Parameters<typeof elb.commandCalls>[0]) =>
  elb.commandCalls(command).map((c) => c.args[0].input as I);
const alb = `aws:loadBalancers:prod:us-east-1:orders-main-alb:${VPC}:application`;
const tgKey = (name: string) => `aws:targetGroups:prod:us-east-1:${name}:instance:${VPC}`;

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

    const { resources } = await streamed(agent);

    expect(agent.id).toBe('prod/us-east-1/AmazonApplicationLoadBalancerCachingAgent');
    expect(agent.authoritativeTypes).toEqual(['loadBalancers', 'targetGroups']);
    expect(elb.commandCalls(DescribeLoadBalancersCommand).map((c) => c.args[0].input)).toEqual([
      { PageSize: 400, Marker: undefined },
      { PageSize: 400, Marker: 'bWFya2VyLTI=' },
    ]);
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
    expect(resources[2].relationships).toEqual({ loadBalancers: [alb], instances: [] });
    expect(resources[3].relationships).toEqual({ loadBalancers: [alb] });
  });

  it('writes target groups a hundred at a time, however many a listing page holds, with one listing call a page', async () => {
    elb.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [loadBalancer('orders-main-alb')] });
    const names = Array.from({ length: 250 }, (_, i) => `orders-tg-${String(i).padStart(3, '0')}`);
    elb.on(DescribeTargetGroupsCommand).resolves({
      TargetGroups: names.map((name) => targetGroup(name, [loadBalancerArn('orders-main-alb')])),
    });

    const { pages } = await streamed(new AmazonApplicationLoadBalancerCachingAgent(scopeFor()));

    expect(pages.map((page) => page.length)).toEqual([1, 100, 100, 50]);
    expect(
      pages
        .slice(1)
        .flat()
        .map((r) => r.key),
    ).toEqual(names.map(tgKey));
    expect(elb.commandCalls(DescribeTargetGroupsCommand)).toHaveLength(1);
    expect(elb.commandCalls(DescribeTargetHealthCommand)).toHaveLength(250);
  });

  it("reads each load balancer's listeners and their rules (all pages) and its attributes; gateways have no rules", async () => {
    const albArn = loadBalancerArn('orders-main-alb');
    const gwyArn = loadBalancerArn('inspection-gwlb', 'gwy');
    const tg = targetGroupArn('orders-main-tg');
    elb.on(DescribeLoadBalancersCommand).resolves({
      LoadBalancers: [loadBalancer('orders-main-alb'), loadBalancer('inspection-gwlb', 'gateway')],
    });
    elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [] });
    elb
      .on(DescribeListenersCommand)
      .callsFake((input: { LoadBalancerArn: string; Marker?: string }) =>
        input.LoadBalancerArn === gwyArn
          ? { Listeners: [listener(gwyArn, 1, tg)] }
          : input.Marker === undefined
            ? { Listeners: [listener(albArn, 1, tg)], NextMarker: 'bGlzdGVuZXJzLTI=' }
            : { Listeners: [listener(albArn, 2, tg)] },
      );
    elb.on(DescribeRulesCommand).callsFake((input: { ListenerArn: string; Marker?: string }) => {
      // The second listener was deleted after it was listed.
      if (input.ListenerArn === listenerArn(albArn, 2))
        throw elbError('ListenerNotFound', 'One or more listeners not found');
      return input.Marker === undefined
        ? { Rules: [rule(input.ListenerArn, tg)], NextMarker: 'cnVsZXMtMg==' }
        : { Rules: [rule(input.ListenerArn, tg, true)] };
    });

    const { resources } = await streamed(new AmazonApplicationLoadBalancerCachingAgent(scopeFor()));

    // The two load balancers are read side by side; each one's pages in order.
    expect(inputs(DescribeListenersCommand)).toHaveLength(3);
    expect(inputs(DescribeListenersCommand)).toEqual(
      expect.arrayContaining([
        { LoadBalancerArn: albArn, PageSize: 400, Marker: undefined },
        { LoadBalancerArn: albArn, PageSize: 400, Marker: 'bGlzdGVuZXJzLTI=' },
        { LoadBalancerArn: gwyArn, PageSize: 400, Marker: undefined },
      ]),
    );
    // Never for the gateway's listener: AWS answers ListenerNotFound for it.
    expect(inputs(DescribeRulesCommand)).toEqual([
      { ListenerArn: listenerArn(albArn, 1), PageSize: 400, Marker: undefined },
      { ListenerArn: listenerArn(albArn, 1), PageSize: 400, Marker: 'cnVsZXMtMg==' },
      { ListenerArn: listenerArn(albArn, 2), PageSize: 400, Marker: undefined },
    ]);
    expect(inputs(DescribeLoadBalancerAttributesCommand)).toHaveLength(2);
    expect(inputs(DescribeLoadBalancerAttributesCommand)).toEqual(
      expect.arrayContaining([{ LoadBalancerArn: albArn }, { LoadBalancerArn: gwyArn }]),
    );
    const [albRecord, gwyRecord] = resources;
    expect(albRecord.attributes.attributes).toEqual([
      { key: 'deletion_protection.enabled', value: 'false' },
      { key: 'idle_timeout.timeout_seconds', value: '60' },
      { key: 'routing.http2.enabled', value: 'true' },
      { key: 'access_logs.s3.enabled', value: 'false' },
    ]);
    expect(albRecord.attributes.listeners).toEqual([
      {
        listenerArn: listenerArn(albArn, 1),
        loadBalancerArn: albArn,
        port: 443,
        protocol: 'HTTPS',
        certificates: [{ certificateArn: expect.stringMatching(/^arn:aws:acm:/) }],
        sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
        defaultActions: [
          {
            type: 'forward',
            targetGroupArn: tg,
            order: 1,
            forwardConfig: {
              targetGroups: [{ targetGroupArn: tg, weight: 1 }],
              targetGroupStickinessConfig: { enabled: false },
            },
          },
        ],
        rules: [
          {
            ruleArn: expect.stringContaining(':listener-rule/app/orders-main-alb/'),
            priority: '10',
            conditions: [
              { field: 'path-pattern', values: ['/api/*'], pathPatternConfig: { values: ['/api/*'] } },
            ],
            actions: [{ type: 'forward', targetGroupArn: tg, order: 1 }],
            isDefault: false,
          },
          expect.objectContaining({ priority: 'default', isDefault: true }),
        ],
      },
      expect.objectContaining({ listenerArn: listenerArn(albArn, 2), rules: [] }),
    ]);
    expect(gwyRecord).toMatchObject({
      key: `aws:loadBalancers:prod:us-east-1:inspection-gwlb:${VPC}:gateway`,
      attributes: {
        type: 'gateway',
        listeners: [{ listenerArn: listenerArn(gwyArn, 1), rules: [] }],
        attributes: expect.any(Array),
      },
    });
  });

  it("reads each target group's attributes and target health, and links an instance group to its registered instances", async () => {
    elb.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [loadBalancer('orders-main-alb')] });
    elb.on(DescribeTargetGroupsCommand).resolves({
      TargetGroups: [
        targetGroup('orders-main-tg', [loadBalancerArn('orders-main-alb')]),
        targetGroup('orders-fn', [loadBalancerArn('orders-main-alb')], 'lambda'),
      ],
    });
    const lambdaArn = 'arn:aws:lambda:us-east-1:123456789012:function:orders-fn';
    elb.on(DescribeTargetHealthCommand).callsFake((input: { TargetGroupArn: string }) => ({
      TargetHealthDescriptions:
        input.TargetGroupArn === targetGroupArn('orders-fn')
          ? [{ Target: { Id: lambdaArn }, TargetHealth: { State: 'healthy' } }]
          : [
              targetHealth(instanceId(2)),
              targetHealth(instanceId(1), 'initial'),
              targetHealth(instanceId(3), 'draining'),
            ],
    }));

    const { resources } = await streamed(new AmazonApplicationLoadBalancerCachingAgent(scopeFor()));

    expect(inputs(DescribeTargetGroupAttributesCommand)).toHaveLength(2);
    expect(inputs(DescribeTargetHealthCommand)).toHaveLength(2);
    const tg = resources.find((r) => r.key === tgKey('orders-main-tg'))!;
    expect(tg.attributes.attributes).toEqual([
      { key: 'deregistration_delay.timeout_seconds', value: '300' },
      { key: 'stickiness.enabled', value: 'false' },
      { key: 'load_balancing.algorithm.type', value: 'round_robin' },
      { key: 'slow_start.duration_seconds', value: '0' },
    ]);
    expect(tg.attributes.targetHealthDescriptions).toEqual([
      {
        target: { id: instanceId(2), port: 7001, availabilityZone: 'us-east-1a' },
        healthCheckPort: '7001',
        targetHealth: { state: 'healthy' },
      },
      expect.objectContaining({
        targetHealth: {
          state: 'initial',
          reason: 'Elb.RegistrationInProgress',
          description: 'Target registration is in progress',
        },
      }),
      expect.objectContaining({ targetHealth: expect.objectContaining({ state: 'draining' }) }),
    ]);
    expect(tg.relationships).toEqual({
      loadBalancers: [alb],
      instances: [1, 2, 3].map((n) => `aws:instances:prod:us-east-1:${instanceId(n)}`),
    });
    const fn = resources.find((r) => r.key === 'aws:targetGroups:prod:us-east-1:orders-fn:lambda:null')!;
    expect(fn.attributes.targetHealthDescriptions).toEqual([
      { target: { id: lambdaArn }, targetHealth: { state: 'healthy' } },
    ]);
    expect(fn.relationships).toEqual({ loadBalancers: [alb] });
  });

  it('leaves out a load balancer or target group deleted during the run (so it is evicted)', async () => {
    elb.on(DescribeLoadBalancersCommand).resolves({
      LoadBalancers: [loadBalancer('orders-main-alb'), loadBalancer('orders-old-alb')],
    });
    elb.on(DescribeTargetGroupsCommand).resolves({
      TargetGroups: [targetGroup('orders-main-tg', []), targetGroup('orders-old-tg', [])],
    });
    elb
      .on(DescribeListenersCommand, { LoadBalancerArn: loadBalancerArn('orders-old-alb') })
      .rejects(elbError('LoadBalancerNotFound', "Load balancers '[orders-old-alb]' not found"));
    elb
      .on(DescribeTargetHealthCommand, { TargetGroupArn: targetGroupArn('orders-old-tg') })
      .rejects(elbError('TargetGroupNotFound', "Target groups 'orders-old-tg' not found"));
    const { resources } = await streamed(new AmazonApplicationLoadBalancerCachingAgent(scopeFor()));
    expect(resources.map((r) => r.key)).toEqual([alb, tgKey('orders-main-tg')]);
  });

  it('fails the run when a per-resource call is throttled', async () => {
    elb.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [loadBalancer('orders-main-alb')] });
    elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [targetGroup('orders-main-tg', [])] });
    elb.on(DescribeTargetHealthCommand).rejects(elbThrottling());
    await expect(streamed(new AmazonApplicationLoadBalancerCachingAgent(scopeFor()))).rejects.toMatchObject({
      name: 'Throttling',
      message: 'Rate exceeded',
    });
  });

  it('has the per-resource calls of at most 4 load balancers in flight at once', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `orders-lb-${i}`);
    elb.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: names.map((n) => loadBalancer(n)) });
    elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [] });
    let inFlight = 0;
    let most = 0;
    elb.on(DescribeListenersCommand).callsFake(async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      return { Listeners: [] };
    });
    const { resources } = await streamed(new AmazonApplicationLoadBalancerCachingAgent(scopeFor()));
    expect(resources).toHaveLength(12);
    expect(most).toBe(4);
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
    // A refreshed load balancer is as complete as a full run's: listeners (with rules) and attributes.
    expect(inputs(DescribeListenersCommand)).toEqual([
      { LoadBalancerArn: loadBalancerArn('orders-main-alb'), PageSize: 400, Marker: undefined },
    ]);
    expect(outcome.found[0].attributes).toMatchObject({ listeners: [], attributes: expect.any(Array) });
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
    const outcome = await new TargetGroupRefresher(...accounts(), AWS_CONFIG.targetHealth).refresh(
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

  const refresher = () => new TargetGroupRefresher(...accounts(), AWS_CONFIG.targetHealth);
  const byArn = (name: string, hints?: Record<string, unknown>): RefreshItem => ({
    requestId: 'req-1',
    key: tgKey(name),
    id: targetGroupArn(name),
    idKind: 'targetGroupArn',
    partial: false,
    ...(hints && { hints }),
  });
  const refreshWith = async (health: TargetHealthDescription[], item: RefreshItem) => {
    elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [targetGroup('orders-main-tg', [])] });
    elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: health });
    return refresher().refresh(
      { account: 'prod', region: REGION, type: 'targetGroups', items: [item] },
      agentContext(),
    );
  };

  it('reads the target groups of an Auto Scaling group through it, and re-checks one still settling', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        asg('orders-main-v042', {
          targetGroupArns: [targetGroupArn('orders-main-tg'), targetGroupArn('orders-api-tg')],
        }),
      ],
    });
    elb.on(DescribeTargetGroupsCommand).callsFake((input: { TargetGroupArns: string[] }) => ({
      TargetGroups: input.TargetGroupArns.map((arn) => targetGroup(arn.split('/')[1], [])),
    }));
    elb.on(DescribeTargetHealthCommand).callsFake((input: { TargetGroupArn: string }) => ({
      TargetHealthDescriptions: [
        targetHealth(
          instanceId(1),
          input.TargetGroupArn === targetGroupArn('orders-api-tg') ? 'draining' : 'healthy',
        ),
      ],
    }));
    const pattern = 'aws:targetGroups:prod:us-east-1:*:instance:*';
    const outcome = await refresher().refresh(
      {
        account: 'prod',
        region: REGION,
        type: 'targetGroups',
        items: [
          {
            requestId: 'req-1',
            key: pattern,
            id: 'orders-main-v042',
            idKind: 'autoScalingGroupName',
            partial: true,
            hints: { recheckSince: T0.toISOString() },
          },
          {
            requestId: 'req-2',
            key: pattern,
            id: 'orders-gone-v001',
            idKind: 'autoScalingGroupName',
            partial: true,
          },
        ],
      },
      agentContext(),
    );
    expect(autoScaling.commandCalls(DescribeAutoScalingGroupsCommand)[0].args[0].input).toMatchObject({
      AutoScalingGroupNames: ['orders-main-v042', 'orders-gone-v001'],
    });
    expect(inputs(DescribeTargetGroupsCommand)).toEqual([
      {
        TargetGroupArns: [targetGroupArn('orders-main-tg'), targetGroupArn('orders-api-tg')],
        PageSize: 400,
        Marker: undefined,
      },
    ]);
    expect(outcome.found.map((r) => r.key).sort()).toEqual([tgKey('orders-api-tg'), tgKey('orders-main-tg')]);
    // A group that is gone resolves to nothing: its glob evicts nothing.
    expect(outcome.missing).toEqual([pattern]);
    expect(outcome.followUps).toEqual([
      expect.objectContaining({ key: tgKey('orders-api-tg'), delayMs: 5_000 }),
    ]);
  });

  it('asks to be read again in recheckSeconds while a target is initial or draining', async () => {
    for (const state of ['initial', 'draining'] as const) {
      const outcome = await refreshWith(
        [targetHealth(instanceId(1)), targetHealth(instanceId(2), state)],
        byArn('orders-main-tg'),
      );
      expect(outcome.found.map((r) => r.key)).toEqual([tgKey('orders-main-tg')]);
      expect(outcome.followUps).toEqual([
        {
          type: 'targetGroups',
          key: tgKey('orders-main-tg'),
          target: {
            id: targetGroupArn('orders-main-tg'),
            idKind: 'targetGroupArn',
            partial: false,
            recheckSince: T0.toISOString(),
          },
          delayMs: 5_000,
        },
      ]);
    }
  });

  it('asks again while an instance it should have is not registered, keeping when the watch started', async () => {
    const since = new Date(T0.getTime() - 120_000).toISOString();
    const hints = { recheckSince: since, expectInstances: [instanceId(1), instanceId(2)] };
    const waiting = await refreshWith([targetHealth(instanceId(1))], byArn('orders-main-tg', hints));
    expect(waiting.followUps).toEqual([
      expect.objectContaining({
        target: expect.objectContaining({
          recheckSince: since,
          expectInstances: [instanceId(1), instanceId(2)],
        }),
        delayMs: 5_000,
      }),
    ]);
    const settled = await refreshWith(
      [targetHealth(instanceId(1)), targetHealth(instanceId(2))],
      byArn('orders-main-tg', hints),
    );
    expect(settled.followUps).toBeUndefined();
  });

  it('stops re-checking once the window since the change is over', async () => {
    const since = new Date(T0.getTime() - 600_000).toISOString();
    const outcome = await refreshWith(
      [targetHealth(instanceId(1), 'initial')],
      byArn('orders-main-tg', { recheckSince: since }),
    );
    expect(outcome.found).toHaveLength(1);
    expect(outcome.followUps).toBeUndefined();
  });
});
