import {
  DescribePoliciesCommand,
  DescribeScheduledActionsCommand,
  type ScalingPolicy,
  type ScheduledUpdateGroupAction,
} from '@aws-sdk/client-auto-scaling';
import { DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { attributesOf } from '../aws/attributes';
import { allPages, chunk, mapConcurrently, unique } from '../aws/batching';
import type { AwsScope } from './aws-caching-agent';

/** DescribePolicies / DescribeScheduledActions: pages of up to 100. */
const PAGE_SIZE = 100;
/** DescribeAlarms: up to 100 alarm names per call, pages of up to 100. */
const ALARMS_PER_CALL = 100;
/** Groups whose two reads are in flight at once (the pool's rate limiter paces them). */
const PER_GROUP_CONCURRENCY = 4;

/**
 * A targeted refresh of up to this many server groups reads their policies and scheduled actions
 * group by group (DescribePolicies and DescribeScheduledActions take one group name per call: two
 * calls per group); more than this, it lists the region's (two calls per 100 policies or actions of
 * the region) and keeps the groups asked for. 20 groups cost 40 calls; listing a region of 2,000
 * groups with two policies each costs about as much (40 pages of policies, a few of actions),
 * smaller regions less: beyond 20 the listing is never much dearer, and usually far cheaper.
 */
export const PER_GROUP_SCALING_READS_UP_TO = 20;

/** The scaling policies and scheduled actions of one Auto Scaling group, as cache attributes. */
export interface GroupScaling {
  /** `ScalingPolicy`s, `alarms` replaced by the `MetricAlarm`s they name that exist (by ARN). */
  scalingPolicies: Record<string, unknown>[];
  /** `ScheduledUpdateGroupAction`s. */
  scheduledActions: Record<string, unknown>[];
}

/** What DescribePolicies and DescribeScheduledActions returned, before alarms are joined in. */
export interface ScalingListing {
  policies: ScalingPolicy[];
  actions: ScheduledUpdateGroupAction[];
}

const NONE: GroupScaling = { scalingPolicies: [], scheduledActions: [] };

/** A group's scaling, or none (a group without policies or scheduled actions). */
export function scalingOf(byGroup: ReadonlyMap<string, GroupScaling>, group: string): GroupScaling {
  return byGroup.get(group) ?? NONE;
}

async function describePolicies(
  scope: AwsScope,
  signal: AbortSignal,
  group?: string,
): Promise<ScalingPolicy[]> {
  const autoScaling = scope.clients.autoScaling(scope.account, scope.region);
  const pages = await allPages(
    signal,
    (NextToken) =>
      autoScaling.send(
        new DescribePoliciesCommand({ AutoScalingGroupName: group, MaxRecords: PAGE_SIZE, NextToken }),
        { abortSignal: signal },
      ),
    (page) => page.NextToken,
  );
  return pages.flatMap((p) => p.ScalingPolicies ?? []);
}

async function describeScheduledActions(
  scope: AwsScope,
  signal: AbortSignal,
  group?: string,
): Promise<ScheduledUpdateGroupAction[]> {
  const autoScaling = scope.clients.autoScaling(scope.account, scope.region);
  const pages = await allPages(
    signal,
    (NextToken) =>
      autoScaling.send(
        new DescribeScheduledActionsCommand({
          AutoScalingGroupName: group,
          MaxRecords: PAGE_SIZE,
          NextToken,
        }),
        { abortSignal: signal },
      ),
    (page) => page.NextToken,
  );
  return pages.flatMap((p) => p.ScheduledUpdateGroupActions ?? []);
}

/** Every policy and scheduled action of the account/region (all pages of both). */
export async function listRegionScaling(scope: AwsScope, signal: AbortSignal): Promise<ScalingListing> {
  const [policies, actions] = await Promise.all([
    describePolicies(scope, signal),
    describeScheduledActions(scope, signal),
  ]);
  return { policies, actions };
}

/** The policies and scheduled actions of these groups, two calls per group. */
export async function listGroupsScaling(
  scope: AwsScope,
  groups: readonly string[],
  signal: AbortSignal,
): Promise<ScalingListing> {
  const parts = await mapConcurrently(unique(groups), PER_GROUP_CONCURRENCY, async (group) => {
    const [policies, actions] = await Promise.all([
      describePolicies(scope, signal, group),
      describeScheduledActions(scope, signal, group),
    ]);
    return { policies, actions };
  });
  return { policies: parts.flatMap((p) => p.policies), actions: parts.flatMap((p) => p.actions) };
}

/** The part of a listing that belongs to these groups. */
export function ofGroups(listing: ScalingListing, groups: readonly string[]): ScalingListing {
  const wanted = new Set(groups);
  return {
    policies: listing.policies.filter((p) => wanted.has(p.AutoScalingGroupName ?? '')),
    actions: listing.actions.filter((a) => wanted.has(a.AutoScalingGroupName ?? '')),
  };
}

/**
 * A region's listing held by group, for a run that reads its groups a page at a time: each page
 * takes its groups' policies and actions out, so what is held shrinks as the run goes.
 */
export class ScalingByGroup {
  private readonly groups = new Map<string, ScalingListing>();

  constructor(listing: ScalingListing) {
    for (const policy of listing.policies) this.of(policy.AutoScalingGroupName).policies.push(policy);
    for (const action of listing.actions) this.of(action.AutoScalingGroupName).actions.push(action);
  }

  /** The listing of these groups (removed from what is held). */
  take(groups: readonly string[]): ScalingListing {
    const out: ScalingListing = { policies: [], actions: [] };
    for (const group of unique(groups)) {
      const listing = this.groups.get(group);
      if (!listing) continue;
      this.groups.delete(group);
      out.policies.push(...listing.policies);
      out.actions.push(...listing.actions);
    }
    return out;
  }

  private of(group: string | undefined): ScalingListing {
    const key = group ?? '';
    let listing = this.groups.get(key);
    if (!listing) this.groups.set(key, (listing = { policies: [], actions: [] }));
    return listing;
  }
}

/** Metric alarms by name, 100 names per call (names that match no alarm are simply absent). */
async function describeAlarms(
  scope: AwsScope,
  names: readonly string[],
  signal: AbortSignal,
): Promise<MetricAlarm[]> {
  if (names.length === 0) return [];
  const cloudWatch = scope.clients.cloudWatch(scope.account, scope.region);
  const parts = await mapConcurrently(chunk(unique(names), ALARMS_PER_CALL), 2, async (AlarmNames) => {
    const pages = await allPages(
      signal,
      (NextToken) =>
        cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames, MaxRecords: ALARMS_PER_CALL, NextToken }), {
          abortSignal: signal,
        }),
      (page) => page.NextToken,
    );
    return pages.flatMap((p) => p.MetricAlarms ?? []);
  });
  return parts.flat();
}

/** Orders by a name, code unit by code unit (the same order on every host). */
const byName =
  <T>(name: (item: T) => string | undefined) =>
  (a: T, b: T): number => {
    const [x, y] = [name(a) ?? '', name(b) ?? ''];
    return x < y ? -1 : x > y ? 1 : 0;
  };

/**
 * Joins a listing with the CloudWatch alarms its policies name (DescribeAlarms for those names
 * only, not every alarm of the region) into each group's scaling, Clouddriver's way: a policy's
 * `alarms` become the `MetricAlarm`s of its `Alarms` that exist, matched by ARN. Policies and
 * actions are sorted by name, so a group reads the same whichever listing it came from.
 */
export async function withAlarms(
  scope: AwsScope,
  listing: ScalingListing,
  signal: AbortSignal,
): Promise<Map<string, GroupScaling>> {
  const names = listing.policies.flatMap((p) => (p.Alarms ?? []).flatMap((a) => a.AlarmName ?? []));
  const alarms = new Map(
    (await describeAlarms(scope, names, signal)).flatMap((a) => (a.AlarmArn ? [[a.AlarmArn, a]] : [])),
  );
  const out = new Map<string, GroupScaling>();
  const of = (group: string) => {
    let scaling = out.get(group);
    if (!scaling) out.set(group, (scaling = { scalingPolicies: [], scheduledActions: [] }));
    return scaling;
  };
  for (const policy of [...listing.policies].sort(byName((p: ScalingPolicy) => p.PolicyName))) {
    if (!policy.AutoScalingGroupName) continue;
    const found = (policy.Alarms ?? []).flatMap((a) => {
      const alarm = a.AlarmARN === undefined ? undefined : alarms.get(a.AlarmARN);
      return alarm ? [attributesOf(alarm)] : [];
    });
    of(policy.AutoScalingGroupName).scalingPolicies.push({ ...attributesOf(policy), alarms: found });
  }
  const sortedActions = [...listing.actions].sort(
    byName((a: ScheduledUpdateGroupAction) => a.ScheduledActionName),
  );
  for (const action of sortedActions) {
    if (action.AutoScalingGroupName)
      of(action.AutoScalingGroupName).scheduledActions.push(attributesOf(action));
  }
  return out;
}
