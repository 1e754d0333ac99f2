import { type AutoScalingGroup, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import type { CacheRecord, FollowUpRefresh, RefreshItem } from '@event-cache/agents';
import {
  applicationKey,
  clusterKey,
  instanceKey,
  launchTemplateKey,
  loadBalancerKey,
  parseElbArn,
  parseFriggaName,
  serverGroupKey,
  targetGroupKey,
} from '@event-cache/events';
import { attributesOf, str } from '../aws/attributes';
import { allPages, chunk, eachPage, mapConcurrently, once, unique } from '../aws/batching';
import { CONFIG_RESOURCE_TYPES, ConfigSourceReader } from '../config-source/config-source.reader';
import { AWS_AGENT_KINDS } from '../aws-agents.model';
import { AwsCachingAgent, type AwsScope } from './aws-caching-agent';
import { AwsTargetedRefresher, type IdReader, readInChunks, recordsById } from './aws-targeted-refresher';
import { targetHealthRecheck } from './target-health';
import { describeAllSubnets, describeSubnetsById } from './networks';
import {
  type GroupScaling,
  listGroupsScaling,
  listRegionScaling,
  ofGroups,
  PER_GROUP_SCALING_READS_UP_TO,
  ScalingByGroup,
  scalingOf,
  withAlarms,
} from './scaling';

/** DescribeAutoScalingGroups: pages of up to 100, and up to 100 names per call. */
const PAGE_SIZE = 100;
export const GROUPS_PER_CALL = PAGE_SIZE;
const SUBNETS_PER_CALL = 200;

/** A server group with the cluster and application it derives by Frigga naming. */
export interface ServerGroupRecords {
  serverGroup: CacheRecord;
  cluster: CacheRecord;
  application: CacheRecord;
}

/**
 * Records of one Auto Scaling group, Clouddriver-style:
 * - serverGroup `aws:serverGroups:<cluster>:<account>:<region>:<asg>`, attributes
 *   `{ name, region, vpcId, asg, scalingPolicies, scheduledActions }` (`asg` = the SDK's
 *   AutoScalingGroup in camelCase; the group's scaling policies with their alarms and its scheduled
 *   actions, see `GroupScaling`), relationships
 *   to its instances, cluster, application, launch template, classic load balancers (by name in
 *   its VPC) and target groups (from `TargetGroupARNs`: name, type `instance`, its VPC);
 * - cluster `aws:clusters:<app>:<account>:<cluster>` `{ name, application }`, related to its application;
 * - application `aws:applications:<app>` `{ name }`.
 * Links between these are stored on the server group (the side AWS states them on), so a targeted
 * refresh of one server group never rewrites what the cluster knows about its siblings; the store
 * reads relationships in both directions, so a cluster still lists its server groups.
 * Names outside Frigga's convention have no key in Clouddriver and make no records.
 */
export function serverGroupRecords(
  asg: AutoScalingGroup,
  scope: AwsScope,
  vpcOfSubnet: ReadonlyMap<string, string>,
  scaling: GroupScaling,
): ServerGroupRecords | undefined {
  const name = asg.AutoScalingGroupName;
  if (name === undefined) return undefined;
  const names = parseFriggaName(name);
  if (!names.valid || names.cluster === null || names.app === null) return undefined;
  const account = scope.account.name;
  const region = scope.region;
  const key = serverGroupKey({ account, region, serverGroup: name, cluster: names.cluster });
  if (key === undefined) return undefined;
  const application = names.app.toLowerCase();
  const vpcId = vpcOf(asg, vpcOfSubnet);

  const cluster = clusterKey({ application, account, cluster: names.cluster });
  const app = applicationKey({ application });
  const template =
    asg.LaunchTemplate?.LaunchTemplateName ??
    asg.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification?.LaunchTemplateName;
  const relationships: Record<string, string[]> = {
    clusters: [cluster],
    applications: [app],
    instances: (asg.Instances ?? []).flatMap((i) =>
      i.InstanceId ? [instanceKey({ account, region, instanceId: i.InstanceId })] : [],
    ),
    loadBalancers: (asg.LoadBalancerNames ?? []).map((loadBalancerName) =>
      loadBalancerKey({ account, region, loadBalancerName, vpcId }),
    ),
    targetGroups: targetGroupsOf(asg.TargetGroupARNs ?? [], scope, vpcId).map((tg) => tg.key),
    launchTemplates: template ? [launchTemplateKey({ account, region, launchTemplateName: template })] : [],
  };
  for (const type of Object.keys(relationships)) relationships[type] = unique(relationships[type]).sort();

  return {
    serverGroup: {
      key,
      type: 'serverGroups',
      account,
      region,
      application,
      attributes: {
        name,
        region,
        vpcId,
        asg: attributesOf(asg),
        scalingPolicies: scaling.scalingPolicies,
        scheduledActions: scaling.scheduledActions,
      },
      relationships,
    },
    cluster: {
      key: cluster,
      type: 'clusters',
      account,
      region: null,
      application,
      attributes: { name: names.cluster, application },
      relationships: { applications: [app] },
    },
    application: {
      key: app,
      type: 'applications',
      account: null,
      region: null,
      application,
      attributes: { name: application },
    },
  };
}

/** A group's target groups (its `TargetGroupARNs`): ARN and key (name, type `instance`, the group's VPC). */
function targetGroupsOf(
  arns: readonly string[],
  scope: AwsScope,
  vpcId: string | null,
): { arn: string; key: string }[] {
  const { region } = scope;
  const account = scope.account.name;
  return arns.flatMap((arn) => {
    const info = parseElbArn(arn);
    return info?.kind === 'targetgroup'
      ? [
          {
            arn,
            key: targetGroupKey({
              account,
              region,
              targetGroupName: info.name,
              targetType: 'instance',
              vpcId,
            }),
          },
        ]
      : [];
  });
}

function subnetIdsOf(asg: AutoScalingGroup): string[] {
  return (asg.VPCZoneIdentifier ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function vpcOf(asg: AutoScalingGroup, vpcOfSubnet: ReadonlyMap<string, string>): string | null {
  for (const subnet of subnetIdsOf(asg)) {
    const vpc = vpcOfSubnet.get(subnet);
    if (vpc) return vpc;
  }
  return null;
}

/** subnet id -> VPC id, for all subnets (`undefined`) or the given ones. */
async function subnetVpcs(
  scope: AwsScope,
  subnetIds: string[] | undefined,
  signal: AbortSignal,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (subnetIds?.length === 0) return out;
  if (scope.account.configSource) {
    const reader = new ConfigSourceReader(scope);
    const items =
      subnetIds === undefined
        ? await reader.selectAll(CONFIG_RESOURCE_TYPES.subnets, signal)
        : (await reader.batchGet(CONFIG_RESOURCE_TYPES.subnets, subnetIds, signal)).items;
    for (const item of items) {
      const vpc = str(item.configuration.vpcId);
      if (vpc) out.set(item.resourceId, vpc);
    }
    return out;
  }
  const subnets =
    subnetIds === undefined
      ? await describeAllSubnets(scope, signal)
      : (
          await mapConcurrently(chunk(subnetIds, SUBNETS_PER_CALL), 2, (part) =>
            describeSubnetsById(scope, part, signal),
          )
        ).flat();
  for (const s of subnets) if (s.SubnetId && s.VpcId) out.set(s.SubnetId, s.VpcId);
  return out;
}

/**
 * Every server group of the account/region with its clusters and applications, a page of 100
 * Auto Scaling groups at a time: DescribeAutoScalingGroups (100 per page); before the first page,
 * DescribeSubnets (for the groups' VPC) and the region's DescribePolicies and
 * DescribeScheduledActions (100 per page), read once; per page, DescribeAlarms for the alarms its
 * groups' policies name (100 names per call). Any failure fails the run: a server group is never
 * written without its policies. A cluster or application with server groups on several pages is
 * handed on with each of them (the same record: written once, then found unchanged).
 */
export async function* serverGroupPages(scope: AwsScope, signal: AbortSignal): AsyncGenerator<CacheRecord[]> {
  const autoScaling = scope.clients.autoScaling(scope.account, scope.region);
  const pages = eachPage(
    signal,
    (NextToken) =>
      autoScaling.send(new DescribeAutoScalingGroupsCommand({ MaxRecords: PAGE_SIZE, NextToken }), {
        abortSignal: signal,
      }),
    (page) => page.NextToken,
    (page) => page.AutoScalingGroups ?? [],
  );
  let vpcs: Map<string, string> | undefined;
  let scaling: ScalingByGroup | undefined;
  for await (const groups of pages) {
    if (groups.length === 0) continue;
    const needsVpcs = vpcs === undefined && groups.some((g) => subnetIdsOf(g).length > 0);
    [vpcs, scaling] = await Promise.all([
      needsVpcs ? subnetVpcs(scope, undefined, signal) : vpcs,
      scaling ?? listRegionScaling(scope, signal).then((listing) => new ScalingByGroup(listing)),
    ]);
    const names = groups.flatMap((g) => g.AutoScalingGroupName ?? []);
    const joined = await withAlarms(scope, scaling.take(names), signal);
    const byKey = new Map<string, CacheRecord>();
    for (const group of groups) {
      const records = serverGroupRecords(
        group,
        scope,
        vpcs ?? NO_VPCS,
        scalingOf(joined, group.AutoScalingGroupName ?? ''),
      );
      if (!records) continue;
      for (const record of [records.serverGroup, records.cluster, records.application])
        byKey.set(record.key, record);
    }
    yield [...byKey.values()];
  }
}

const NO_VPCS: ReadonlyMap<string, string> = new Map();

/** Auto Scaling groups by up to 100 names, all pages (unknown names are simply absent). */
export async function describeServerGroupsByName(
  scope: AwsScope,
  names: string[],
  signal: AbortSignal,
): Promise<AutoScalingGroup[]> {
  const autoScaling = scope.clients.autoScaling(scope.account, scope.region);
  const pages = await allPages(
    signal,
    (NextToken) =>
      autoScaling.send(
        new DescribeAutoScalingGroupsCommand({
          AutoScalingGroupNames: names,
          MaxRecords: PAGE_SIZE,
          NextToken,
        }),
        { abortSignal: signal },
      ),
    (page) => page.NextToken,
  );
  return pages.flatMap((p) => p.AutoScalingGroups ?? []);
}

/**
 * Server groups by name: DescribeAutoScalingGroups with up to 100 names per call (unknown names are
 * simply absent), plus one DescribeSubnets per 200 of their subnets, and their scaling: up to
 * `PER_GROUP_SCALING_READS_UP_TO` names, DescribePolicies and DescribeScheduledActions per group
 * found, beyond that one region-wide listing shared by all chunks; then DescribeAlarms for the
 * alarms their policies name. A failed call fails the names of its chunk (a region-wide listing
 * that fails, every name). Their clusters and applications are written along (same bodies as a
 * full run), so a new cluster shows at once.
 */
export const readServerGroupsByName: IdReader = async (scope, names, signal) => {
  const companions = new Map<string, CacheRecord>();
  const regionWide =
    unique(names).length > PER_GROUP_SCALING_READS_UP_TO
      ? once(() => listRegionScaling(scope, signal))
      : undefined;
  const result = await readInChunks(names, PAGE_SIZE, signal, async (part) => {
    const groups = await describeServerGroupsByName(scope, part, signal);
    const found = groups.flatMap((g) => g.AutoScalingGroupName ?? []);
    const listing = regionWide
      ? regionWide().then((all) => ofGroups(all, found))
      : listGroupsScaling(scope, found, signal);
    const [vpcs, scaling] = await Promise.all([
      subnetVpcs(scope, unique(groups.flatMap(subnetIdsOf)), signal),
      listing.then((l) => withAlarms(scope, l, signal)),
    ]);
    const records = groups.flatMap(
      (g) => serverGroupRecords(g, scope, vpcs, scalingOf(scaling, g.AutoScalingGroupName ?? '')) ?? [],
    );
    for (const r of records) {
      companions.set(r.cluster.key, r.cluster);
      companions.set(r.application.key, r.application);
    }
    return recordsById(
      records,
      (r) => str(r.serverGroup.attributes.name),
      (r) => r.serverGroup,
    );
  });
  return { ...result, companions: [...companions.values()] };
};

/**
 * Clouddriver's ClusterCachingAgent: Auto Scaling groups as server groups, and the clusters and
 * applications derived from their names; authoritative for all three.
 */
export class ClusterCachingAgent extends AwsCachingAgent {
  static readonly KIND = AWS_AGENT_KINDS.clusters;
  readonly authoritativeTypes = ['serverGroups', 'clusters', 'applications'] as const;

  constructor(scope: AwsScope) {
    super(scope, ClusterCachingAgent.KIND);
  }

  protected pages(signal: AbortSignal): AsyncIterable<CacheRecord[]> {
    return serverGroupPages(this.scope, signal);
  }
}

/**
 * Targeted refreshes of `serverGroups` by Auto Scaling group name. A server group written with a
 * change (instances launched or terminated, lifecycle or health states, capacity ...) has its
 * target groups read as well, told which instances should be registered (those `InService`), so
 * their target health follows the group (see `TargetGroupRefresher`).
 */
export class ServerGroupRefresher extends AwsTargetedRefresher {
  readonly types = ['serverGroups'] as const;
  protected readonly agentKind = ClusterCachingAgent.KIND;

  protected readers() {
    return { autoScalingGroupName: readServerGroupsByName };
  }

  protected override followUps(
    _item: RefreshItem,
    records: readonly CacheRecord[],
    ctx: { scope: AwsScope; readStartedAt: Date },
  ): FollowUpRefresh[] {
    return records
      .filter((r) => r.type === 'serverGroups')
      .flatMap((record) => {
        const asg = record.attributes.asg as AutoScalingGroupAttributes;
        const vpcId = str(record.attributes.vpcId) ?? null;
        const inService = (asg.instances ?? []).flatMap((i) =>
          i.lifecycleState === 'InService' && typeof i.instanceId === 'string' ? [i.instanceId] : [],
        );
        const targetGroupArns = (asg.targetGroupARNs ?? []).filter((a): a is string => typeof a === 'string');
        return targetGroupsOf(targetGroupArns, ctx.scope, vpcId).map(({ arn, key }): FollowUpRefresh => ({
          type: 'targetGroups',
          key,
          target: targetHealthRecheck(arn, ctx.readStartedAt, inService),
          ifChanged: record.key,
        }));
      });
  }
}

/** The members of a cached `asg` the follow-ups read (camelCased `AutoScalingGroup`). */
interface AutoScalingGroupAttributes {
  targetGroupARNs?: unknown[];
  instances?: { instanceId?: unknown; lifecycleState?: unknown }[];
}
