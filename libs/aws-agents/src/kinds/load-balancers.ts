import {
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type Listener,
  type LoadBalancer,
  type Rule,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { CacheRecord, FollowUpRefresh, RefreshItem } from '@event-cache/agents';
import {
  instanceKey,
  loadBalancerKey,
  parseCacheKey,
  parseElbArn,
  parseFriggaName,
  targetGroupKey,
} from '@event-cache/events';
import { attributesOf } from '../aws/attributes';
import { hasErrorName, NOT_FOUND_ERROR_NAMES } from '../aws/aws-errors';
import {
  allPages,
  chunk,
  collect,
  eachPage,
  mapConcurrently,
  readIsolatingMissing,
  unique,
} from '../aws/batching';
import type { AwsClientFactory } from '../clients/aws-client.factory';
import { type AwsAgentAccount, AWS_AGENT_KINDS } from '../aws-agents.model';
import { AwsCachingAgent, type AwsScope } from './aws-caching-agent';
import { AwsTargetedRefresher, type IdReader, readInChunks, recordsById } from './aws-targeted-refresher';
import { describeServerGroupsByName, GROUPS_PER_CALL } from './server-groups';
import { type TargetHealthSettings, targetHealthRecheckOf } from './target-health';

/** ELBv2 Describe calls: pages of up to 400, and up to 20 names or ARNs per call. */
const PAGE_SIZE = 400;
const IDS_PER_CALL = 20;
/**
 * Load balancers or target groups whose per-resource calls (listeners, rules, attributes, target
 * health) are in flight at once per read, two calls each at most; the pool's rate limiter paces
 * the calls themselves.
 */
const DETAIL_CONCURRENCY = 4;
/**
 * Target groups read in detail and written together: a quarter of a listing page. Each brings the
 * health of every target it has (an instance's health row in Clouddriver's tables), so a whole
 * page of 400 would write tens of thousands of rows at once.
 */
const TARGET_GROUPS_PER_WRITE = 100;

/** What a load balancer record carries besides the `LoadBalancer` (one call or more each). */
export interface LoadBalancerDetails {
  /** `Listener`s, each with `rules`: its `Rule`s (none for a gateway load balancer). */
  listeners: Record<string, unknown>[];
  /** `LoadBalancerAttribute`s. */
  attributes: Record<string, unknown>[];
}

/** What a target group record carries besides the `TargetGroup`. */
export interface TargetGroupDetails {
  /** `TargetGroupAttribute`s. */
  attributes: Record<string, unknown>[];
  /** `TargetHealthDescription`s, in AWS's order. */
  targetHealthDescriptions: Record<string, unknown>[];
  /** Ids of the registered targets. */
  targetIds: string[];
}

function application(name: string): string | null {
  const app = parseFriggaName(name).app;
  return app === null ? null : app.toLowerCase();
}

/**
 * A load balancer record (ELBv2: application, network, gateway): attributes = the SDK's
 * `LoadBalancer` in camelCase plus `listeners` (each with its `rules`) and `attributes`; key
 * `aws:loadBalancers:<account>:<region>:<name>:<vpcId>:<type>`. Its target groups and server
 * groups link to it (they state the link, it does not).
 */
export function loadBalancerRecord(
  lb: LoadBalancer,
  scope: AwsScope,
  details: LoadBalancerDetails,
): CacheRecord | undefined {
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
    attributes: { ...attributesOf(lb), listeners: details.listeners, attributes: details.attributes },
  };
}

/**
 * A target group record: attributes = the SDK's `TargetGroup` in camelCase plus `attributes` and
 * `targetHealthDescriptions`; key `aws:targetGroups:<account>:<region>:<name>:<targetType>:<vpcId|null>`;
 * relationships to its load balancers (`LoadBalancerArns`; their VPC is the group's, or looked up
 * for lambda groups) and, for target type `instance`, to the instances registered in it.
 */
export function targetGroupRecord(
  tg: TargetGroup,
  scope: AwsScope,
  loadBalancersByArn: ReadonlyMap<string, Pick<LoadBalancer, 'VpcId'>>,
  details: TargetGroupDetails,
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
    attributes: {
      ...attributesOf(tg),
      attributes: details.attributes,
      targetHealthDescriptions: details.targetHealthDescriptions,
    },
    relationships: {
      loadBalancers: unique(loadBalancers).sort(),
      ...(tg.TargetType === 'instance' && {
        instances: unique(
          details.targetIds.map((instanceId) => instanceKey({ account, region, instanceId })),
        ).sort(),
      }),
    },
  };
}

/** DescribeLoadBalancers (all, or by names or ARNs) a page at a time. */
async function* loadBalancerListing(
  scope: AwsScope,
  signal: AbortSignal,
  filter: { Names?: string[]; LoadBalancerArns?: string[] } = {},
): AsyncGenerator<LoadBalancer[]> {
  const elb = scope.clients.elasticLoadBalancingV2(scope.account, scope.region);
  const pages = eachPage(
    signal,
    (Marker) =>
      elb.send(new DescribeLoadBalancersCommand({ ...filter, PageSize: PAGE_SIZE, Marker }), {
        abortSignal: signal,
      }),
    (page) => page.NextMarker,
  );
  for await (const page of pages) yield page.LoadBalancers ?? [];
}

/** DescribeTargetGroups (all, or by names or ARNs) a page at a time. */
async function* targetGroupListing(
  scope: AwsScope,
  signal: AbortSignal,
  filter: { Names?: string[]; TargetGroupArns?: string[] } = {},
): AsyncGenerator<TargetGroup[]> {
  const elb = scope.clients.elasticLoadBalancingV2(scope.account, scope.region);
  const pages = eachPage(
    signal,
    (Marker) =>
      elb.send(new DescribeTargetGroupsCommand({ ...filter, PageSize: PAGE_SIZE, Marker }), {
        abortSignal: signal,
      }),
    (page) => page.NextMarker,
  );
  for await (const page of pages) yield page.TargetGroups ?? [];
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
      (LoadBalancerArns) => collect(loadBalancerListing(scope, signal, { LoadBalancerArns })),
      { notFound: NOT_FOUND_ERROR_NAMES.loadBalancer },
    );
    return found;
  });
  return parts.flat();
}

/** Every page of a Marker-paginated ELBv2 call. */
async function allMarkerPages<P extends { NextMarker?: string }>(
  signal: AbortSignal,
  fetch: (marker: string | undefined) => Promise<P>,
): Promise<P[]> {
  return allPages(signal, fetch, (page) => page.NextMarker);
}

/**
 * A load balancer's listeners with their rules (DescribeListeners, then DescribeRules per
 * listener, all pages) and its attributes (DescribeLoadBalancerAttributes). A listener deleted in
 * between has no rules (`ListenerNotFound`, as Clouddriver treats it); gateway load balancers
 * have no rules at all (AWS answers `ListenerNotFound` for their listeners), so they are not asked.
 * Undefined when the load balancer itself is gone (`LoadBalancerNotFound`).
 */
async function loadBalancerDetails(
  scope: AwsScope,
  lb: LoadBalancer,
  signal: AbortSignal,
): Promise<LoadBalancerDetails | undefined> {
  const elb = scope.clients.elasticLoadBalancingV2(scope.account, scope.region);
  const LoadBalancerArn = lb.LoadBalancerArn;
  if (!LoadBalancerArn) return undefined;
  const readListeners = async () => {
    const pages = await allMarkerPages(signal, (Marker) =>
      elb.send(new DescribeListenersCommand({ LoadBalancerArn, PageSize: PAGE_SIZE, Marker }), {
        abortSignal: signal,
      }),
    );
    const listeners: Record<string, unknown>[] = [];
    for (const listener of pages.flatMap((p) => p.Listeners ?? [])) {
      const rules = lb.Type === 'gateway' ? [] : await listenerRules(scope, listener, signal);
      listeners.push({ ...attributesOf(listener), rules: rules.map((r) => attributesOf(r)) });
    }
    return listeners;
  };
  // Its listeners (then their rules, one listener after the other) alongside its attributes.
  return unlessGone(NOT_FOUND_ERROR_NAMES.loadBalancer, async () => {
    const [listeners, { Attributes }] = await Promise.all([
      readListeners(),
      elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn }), { abortSignal: signal }),
    ]);
    return { listeners, attributes: (Attributes ?? []).map((a) => attributesOf(a)) };
  });
}

async function listenerRules(scope: AwsScope, listener: Listener, signal: AbortSignal): Promise<Rule[]> {
  const elb = scope.clients.elasticLoadBalancingV2(scope.account, scope.region);
  const ListenerArn = listener.ListenerArn;
  if (!ListenerArn) return [];
  const pages = await unlessGone(NOT_FOUND_ERROR_NAMES.listener, () =>
    allMarkerPages(signal, (Marker) =>
      elb.send(new DescribeRulesCommand({ ListenerArn, PageSize: PAGE_SIZE, Marker }), {
        abortSignal: signal,
      }),
    ),
  );
  return (pages ?? []).flatMap((p) => p.Rules ?? []);
}

/**
 * A target group's attributes (DescribeTargetGroupAttributes) and target health
 * (DescribeTargetHealth). Undefined when the target group is gone (`TargetGroupNotFound`).
 */
async function targetGroupDetails(
  scope: AwsScope,
  tg: TargetGroup,
  signal: AbortSignal,
): Promise<TargetGroupDetails | undefined> {
  const elb = scope.clients.elasticLoadBalancingV2(scope.account, scope.region);
  const TargetGroupArn = tg.TargetGroupArn;
  if (!TargetGroupArn) return undefined;
  return unlessGone(NOT_FOUND_ERROR_NAMES.targetGroup, async () => {
    const [{ Attributes }, { TargetHealthDescriptions }] = await Promise.all([
      elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn }), { abortSignal: signal }),
      elb.send(new DescribeTargetHealthCommand({ TargetGroupArn }), { abortSignal: signal }),
    ]);
    const health = TargetHealthDescriptions ?? [];
    return {
      attributes: (Attributes ?? []).map((a) => attributesOf(a)),
      targetHealthDescriptions: health.map((d) => attributesOf(d)),
      targetIds: health.flatMap((d) => d.Target?.Id ?? []),
    };
  });
}

/** `read()`, or undefined when it fails with one of the `notFound` error names (the resource is gone). */
async function unlessGone<T>(notFound: readonly string[], read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (hasErrorName(error, notFound)) return undefined;
    throw error;
  }
}

/** Load balancer records with their details; those gone meanwhile are left out. */
async function loadBalancerRecords(
  scope: AwsScope,
  loadBalancers: readonly LoadBalancer[],
  signal: AbortSignal,
): Promise<{ lb: LoadBalancer; record: CacheRecord }[]> {
  const read = await mapConcurrently(loadBalancers, DETAIL_CONCURRENCY, async (lb) => {
    const details = await loadBalancerDetails(scope, lb, signal);
    const record = details && loadBalancerRecord(lb, scope, details);
    return record ? [{ lb, record }] : [];
  });
  return read.flat();
}

/** Target group records with their details; those gone meanwhile are left out. */
async function targetGroupRecords(
  scope: AwsScope,
  targetGroups: readonly TargetGroup[],
  loadBalancersByArn: ReadonlyMap<string, Pick<LoadBalancer, 'VpcId'>>,
  signal: AbortSignal,
): Promise<{ tg: TargetGroup; record: CacheRecord }[]> {
  const read = await mapConcurrently(targetGroups, DETAIL_CONCURRENCY, async (tg) => {
    const details = await targetGroupDetails(scope, tg, signal);
    const record = details && targetGroupRecord(tg, scope, loadBalancersByArn, details);
    return record ? [{ tg, record }] : [];
  });
  return read.flat();
}

/**
 * Every ELBv2 load balancer and target group of the account/region, a page at a time:
 * DescribeLoadBalancers (400 per page), each page with its per-load-balancer DescribeListeners,
 * DescribeRules per listener and DescribeLoadBalancerAttributes; then DescribeTargetGroups (400 per
 * page), a quarter page at a time with its per-target-group DescribeTargetGroupAttributes and DescribeTargetHealth:
 * the per-resource calls Clouddriver makes every 30 s, made here only by this reconcile and by
 * targeted refreshes, a few resources at a time. A load balancer or target group deleted during
 * the run is left out (and so evicted); any other failure fails the run. Only the load balancers'
 * VPCs are kept from one page to the next (for lambda target groups, which have none).
 */
export async function* loadBalancerPages(
  scope: AwsScope,
  signal: AbortSignal,
): AsyncGenerator<CacheRecord[]> {
  const vpcOfLoadBalancer = new Map<string, Pick<LoadBalancer, 'VpcId'>>();
  for await (const lbs of loadBalancerListing(scope, signal)) {
    for (const lb of lbs)
      if (lb.LoadBalancerArn) vpcOfLoadBalancer.set(lb.LoadBalancerArn, { VpcId: lb.VpcId });
    yield (await loadBalancerRecords(scope, lbs, signal)).map((r) => r.record);
  }
  for await (const tgs of targetGroupListing(scope, signal)) {
    for (const part of chunk(tgs, TARGET_GROUPS_PER_WRITE)) {
      yield (await targetGroupRecords(scope, part, vpcOfLoadBalancer, signal)).map((r) => r.record);
    }
  }
}

function loadBalancerReader(by: 'Names' | 'LoadBalancerArns'): IdReader {
  return (scope, ids, signal) =>
    readInChunks(ids, IDS_PER_CALL, signal, async (part) => {
      const { found } = await readIsolatingMissing(
        part,
        (values) => collect(loadBalancerListing(scope, signal, { [by]: values })),
        { notFound: NOT_FOUND_ERROR_NAMES.loadBalancer },
      );
      return recordsById(
        await loadBalancerRecords(scope, found, signal),
        ({ lb }) => (by === 'Names' ? lb.LoadBalancerName : lb.LoadBalancerArn),
        ({ record }) => record,
      );
    });
}

/**
 * Target groups by up to 20 names or ARNs (a gone one isolated by bisection), with their details;
 * lambda target groups have no VPC, so their load balancers' is read (20 per call).
 */
async function targetGroupsBy(
  scope: AwsScope,
  by: 'Names' | 'TargetGroupArns',
  ids: string[],
  signal: AbortSignal,
): Promise<{ tg: TargetGroup; record: CacheRecord }[]> {
  const { found } = await readIsolatingMissing(
    ids,
    (values) => collect(targetGroupListing(scope, signal, { [by]: values })),
    { notFound: NOT_FOUND_ERROR_NAMES.targetGroup },
  );
  const lookups = unique(found.filter((tg) => !tg.VpcId).flatMap((tg) => tg.LoadBalancerArns ?? []));
  const loadBalancers = lookups.length > 0 ? await loadBalancersByArns(scope, lookups, signal) : [];
  const byArn = new Map(
    loadBalancers.flatMap((lb) => (lb.LoadBalancerArn ? [[lb.LoadBalancerArn, lb]] : [])),
  );
  return targetGroupRecords(scope, found, byArn, signal);
}

function targetGroupReader(by: 'Names' | 'TargetGroupArns'): IdReader {
  return (scope, ids, signal) =>
    readInChunks(ids, IDS_PER_CALL, signal, async (part) =>
      recordsById(
        await targetGroupsBy(scope, by, part, signal),
        ({ tg }) => (by === 'Names' ? tg.TargetGroupName : tg.TargetGroupArn),
        ({ record }) => record,
      ),
    );
}

/**
 * The target groups of Auto Scaling groups, by group name: DescribeAutoScalingGroups (100 names
 * per call) for their `TargetGroupARNs`, then those target groups by ARN (20 per call) with their
 * details. What an instance that changed asks for: its load balancers' view of it, without
 * re-reading its server group.
 */
const readTargetGroupsOfServerGroups: IdReader = (scope, names, signal) =>
  readInChunks(names, GROUPS_PER_CALL, signal, async (part) => {
    const groups = await describeServerGroupsByName(scope, part, signal);
    const arns = unique(groups.flatMap((g) => g.TargetGroupARNs ?? []));
    const read = (
      await mapConcurrently(chunk(arns, IDS_PER_CALL), 2, (ids) =>
        targetGroupsBy(scope, 'TargetGroupArns', ids, signal),
      )
    ).flat();
    const byArn = new Map(read.map(({ tg, record }) => [tg.TargetGroupArn, record]));
    return new Map(
      groups.flatMap((g) =>
        g.AutoScalingGroupName
          ? [[g.AutoScalingGroupName, (g.TargetGroupARNs ?? []).flatMap((arn) => byArn.get(arn) ?? [])]]
          : [],
      ),
    );
  });

/** Clouddriver's AmazonApplicationLoadBalancerCachingAgent: ELBv2 load balancers and target groups. */
export class AmazonApplicationLoadBalancerCachingAgent extends AwsCachingAgent {
  static readonly KIND = AWS_AGENT_KINDS.loadBalancers;
  readonly authoritativeTypes = ['loadBalancers', 'targetGroups'] as const;

  constructor(scope: AwsScope) {
    super(scope, AmazonApplicationLoadBalancerCachingAgent.KIND);
  }

  protected pages(signal: AbortSignal): AsyncIterable<CacheRecord[]> {
    return loadBalancerPages(this.scope, signal);
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

/**
 * Targeted refreshes of `targetGroups` by name or ARN (partial targets resolved), or all those of
 * an Auto Scaling group (by its name, a partial target), with their attributes and target health. A target group whose targets are still settling (`initial`,
 * `draining`, or an instance it should have not registered yet) is read again after
 * `targetHealth.recheckSeconds`, until `targetHealth.windowSeconds` after the change that started
 * it (see `target-health.ts`).
 */
export class TargetGroupRefresher extends AwsTargetedRefresher {
  readonly types = ['targetGroups'] as const;
  protected readonly agentKind = AmazonApplicationLoadBalancerCachingAgent.KIND;

  constructor(
    accounts: ReadonlyMap<string, AwsAgentAccount>,
    clients: AwsClientFactory,
    private readonly targetHealth: TargetHealthSettings,
  ) {
    super(accounts, clients);
  }

  protected readers() {
    return {
      targetGroupName: targetGroupReader('Names'),
      targetGroupArn: targetGroupReader('TargetGroupArns'),
      autoScalingGroupName: readTargetGroupsOfServerGroups,
    };
  }

  protected override followUps(
    item: RefreshItem,
    records: readonly CacheRecord[],
    ctx: { readStartedAt: Date },
  ): FollowUpRefresh[] {
    return records.flatMap(
      (record) => targetHealthRecheckOf(item, record, ctx.readStartedAt, this.targetHealth) ?? [],
    );
  }
}
