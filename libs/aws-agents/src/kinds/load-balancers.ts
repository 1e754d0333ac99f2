import {
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  type LoadBalancer,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { CacheRecord, RefreshItem } from '@event-cache/agents';
import {
  loadBalancerKey,
  parseCacheKey,
  parseElbArn,
  parseFriggaName,
  targetGroupKey,
} from '@event-cache/events';
import { attributesOf } from '../aws/attributes';
import { NOT_FOUND_ERROR_NAMES } from '../aws/aws-errors';
import { allPages, chunk, mapConcurrently, readIsolatingMissing, unique } from '../aws/batching';
import { AWS_AGENT_KINDS } from '../aws-agents.model';
import { AwsCachingAgent, type AwsScope } from './aws-caching-agent';
import { AwsTargetedRefresher, type IdReader, readInChunks, recordsById } from './aws-targeted-refresher';

/** ELBv2 Describe calls: pages of up to 400, and up to 20 names or ARNs per call. */
const PAGE_SIZE = 400;
const IDS_PER_CALL = 20;

function application(name: string): string | null {
  const app = parseFriggaName(name).app;
  return app === null ? null : app.toLowerCase();
}

/**
 * A load balancer record (ELBv2: application, network, gateway): attributes = the SDK's
 * `LoadBalancer` in camelCase; key `aws:loadBalancers:<account>:<region>:<name>:<vpcId>:<type>`.
 * Its target groups and server groups link to it (they state the link, it does not).
 */
export function loadBalancerRecord(lb: LoadBalancer, scope: AwsScope): CacheRecord | undefined {
  if (!lb.LoadBalancerName) return undefined;
  const account = scope.account.name;
  const region = scope.region;
  return {
    key: loadBalancerKey({
      account,
      region,
      loadBalancerName: lb.LoadBalancerName,
      vpcId: lb.VpcId,
      loadBalancerType: lb.Type,
    }),
    type: 'loadBalancers',
    account,
    region,
    application: application(lb.LoadBalancerName),
    attributes: attributesOf(lb),
  };
}

/**
 * A target group record: attributes = the SDK's `TargetGroup` in camelCase; key
 * `aws:targetGroups:<account>:<region>:<name>:<targetType>:<vpcId|null>`; relationships to its
 * load balancers (`LoadBalancerArns`; their VPC is the group's, or looked up for lambda groups).
 */
export function targetGroupRecord(
  tg: TargetGroup,
  scope: AwsScope,
  loadBalancersByArn: ReadonlyMap<string, LoadBalancer>,
): CacheRecord | undefined {
  if (!tg.TargetGroupName || !tg.TargetType) return undefined;
  const account = scope.account.name;
  const region = scope.region;
  const loadBalancers = (tg.LoadBalancerArns ?? []).flatMap((arn) => {
    const lb = loadBalancersByArn.get(arn);
    const info = parseElbArn(arn);
    const vpcId = lb?.VpcId ?? tg.VpcId;
    if (info?.kind !== 'loadbalancer' || !vpcId) return [];
    return [
      loadBalancerKey({
        account,
        region,
        loadBalancerName: info.name,
        vpcId,
        loadBalancerType: info.loadBalancerType,
      }),
    ];
  });
  return {
    key: targetGroupKey({
      account,
      region,
      targetGroupName: tg.TargetGroupName,
      targetType: tg.TargetType,
      vpcId: tg.VpcId,
    }),
    type: 'targetGroups',
    account,
    region,
    application: application(tg.TargetGroupName),
    attributes: attributesOf(tg),
    relationships: { loadBalancers: unique(loadBalancers).sort() },
  };
}

async function describeLoadBalancers(
  scope: AwsScope,
  signal: AbortSignal,
  filter: { Names?: string[]; LoadBalancerArns?: string[] } = {},
): Promise<LoadBalancer[]> {
  const elb = scope.clients.elasticLoadBalancingV2(scope.account, scope.region);
  const pages = await allPages(
    signal,
    (Marker) =>
      elb.send(new DescribeLoadBalancersCommand({ ...filter, PageSize: PAGE_SIZE, Marker }), {
        abortSignal: signal,
      }),
    (page) => page.NextMarker,
  );
  return pages.flatMap((p) => p.LoadBalancers ?? []);
}

async function describeTargetGroups(
  scope: AwsScope,
  signal: AbortSignal,
  filter: { Names?: string[]; TargetGroupArns?: string[] } = {},
): Promise<TargetGroup[]> {
  const elb = scope.clients.elasticLoadBalancingV2(scope.account, scope.region);
  const pages = await allPages(
    signal,
    (Marker) =>
      elb.send(new DescribeTargetGroupsCommand({ ...filter, PageSize: PAGE_SIZE, Marker }), {
        abortSignal: signal,
      }),
    (page) => page.NextMarker,
  );
  return pages.flatMap((p) => p.TargetGroups ?? []);
}

/** Load balancers by ARN, 20 per call; `LoadBalancerNotFound` isolates the gone ARNs by bisection. */
async function loadBalancersByArns(
  scope: AwsScope,
  arns: string[],
  signal: AbortSignal,
): Promise<LoadBalancer[]> {
  const parts = await mapConcurrently(chunk(unique(arns), IDS_PER_CALL), 2, async (part) => {
    const { found } = await readIsolatingMissing(
      part,
      (LoadBalancerArns) => describeLoadBalancers(scope, signal, { LoadBalancerArns }),
      { notFound: NOT_FOUND_ERROR_NAMES.loadBalancer },
    );
    return found;
  });
  return parts.flat();
}

/**
 * Every ELBv2 load balancer and target group of the account/region: DescribeLoadBalancers and
 * DescribeTargetGroups, 400 per page. Listeners, rules and target health are not read (one call
 * per load balancer or target group: the N+1 pattern that throttles Clouddriver).
 */
export async function readAllLoadBalancers(scope: AwsScope, signal: AbortSignal): Promise<CacheRecord[]> {
  const loadBalancers = await describeLoadBalancers(scope, signal);
  const targetGroups = await describeTargetGroups(scope, signal);
  const byArn = new Map(
    loadBalancers.flatMap((lb) => (lb.LoadBalancerArn ? [[lb.LoadBalancerArn, lb]] : [])),
  );
  return [
    ...loadBalancers.flatMap((lb) => loadBalancerRecord(lb, scope) ?? []),
    ...targetGroups.flatMap((tg) => targetGroupRecord(tg, scope, byArn) ?? []),
  ];
}

function loadBalancerReader(by: 'Names' | 'LoadBalancerArns'): IdReader {
  return (scope, ids, signal) =>
    readInChunks(ids, IDS_PER_CALL, signal, async (part) => {
      const { found } = await readIsolatingMissing(
        part,
        (values) => describeLoadBalancers(scope, signal, { [by]: values }),
        { notFound: NOT_FOUND_ERROR_NAMES.loadBalancer },
      );
      return recordsById(
        found,
        (lb) => (by === 'Names' ? lb.LoadBalancerName : lb.LoadBalancerArn),
        (lb) => loadBalancerRecord(lb, scope),
      );
    });
}

function targetGroupReader(by: 'Names' | 'TargetGroupArns'): IdReader {
  return (scope, ids, signal) =>
    readInChunks(ids, IDS_PER_CALL, signal, async (part) => {
      const { found } = await readIsolatingMissing(
        part,
        (values) => describeTargetGroups(scope, signal, { [by]: values }),
        { notFound: NOT_FOUND_ERROR_NAMES.targetGroup },
      );
      // Lambda target groups have no VPC: their load balancers' VPC is read (20 per call).
      const lookups = unique(found.filter((tg) => !tg.VpcId).flatMap((tg) => tg.LoadBalancerArns ?? []));
      const loadBalancers = lookups.length > 0 ? await loadBalancersByArns(scope, lookups, signal) : [];
      const byArn = new Map(
        loadBalancers.flatMap((lb) => (lb.LoadBalancerArn ? [[lb.LoadBalancerArn, lb]] : [])),
      );
      return recordsById(
        found,
        (tg) => (by === 'Names' ? tg.TargetGroupName : tg.TargetGroupArn),
        (tg) => targetGroupRecord(tg, scope, byArn),
      );
    });
}

/** Clouddriver's AmazonApplicationLoadBalancerCachingAgent: ELBv2 load balancers and target groups. */
export class AmazonApplicationLoadBalancerCachingAgent extends AwsCachingAgent {
  static readonly KIND = AWS_AGENT_KINDS.loadBalancers;
  readonly authoritativeTypes = ['loadBalancers', 'targetGroups'] as const;

  constructor(scope: AwsScope) {
    super(scope, AmazonApplicationLoadBalancerCachingAgent.KIND);
  }

  protected readAll(signal: AbortSignal): Promise<CacheRecord[]> {
    return readAllLoadBalancers(this.scope, signal);
  }
}

/**
 * Targeted refreshes of `loadBalancers` by name or ARN (partial targets resolved to the key with
 * VPC and type). Classic load balancers have no caching agent here: their targets complete
 * without an AWS call.
 */
export class LoadBalancerRefresher extends AwsTargetedRefresher {
  readonly types = ['loadBalancers'] as const;
  protected readonly agentKind = AmazonApplicationLoadBalancerCachingAgent.KIND;

  protected readers() {
    return {
      loadBalancerName: loadBalancerReader('Names'),
      loadBalancerArn: loadBalancerReader('LoadBalancerArns'),
    };
  }

  protected override skip(item: RefreshItem): boolean {
    const key = parseCacheKey(item.key);
    return key?.type === 'loadBalancers' && key.loadBalancerType === 'classic';
  }
}

/** Targeted refreshes of `targetGroups` by name or ARN (partial targets resolved). */
export class TargetGroupRefresher extends AwsTargetedRefresher {
  readonly types = ['targetGroups'] as const;
  protected readonly agentKind = AmazonApplicationLoadBalancerCachingAgent.KIND;

  protected readers() {
    return {
      targetGroupName: targetGroupReader('Names'),
      targetGroupArn: targetGroupReader('TargetGroupArns'),
    };
  }
}
