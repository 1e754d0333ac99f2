import { type CacheKeyType } from '../keys/cache-key.model';
import { type AwsEvent, type HealthEvent, type ScheduledEvent } from '../model/event.model';
import { type SpinnakerAccount } from './account.directory';
import { cloudTrailRefs } from './cloudtrail.refs';
import { configItemRef } from './config-item.refs';
import {
  type Decision,
  type DecisionContext,
  type IgnoreReason,
  type IntervalAdjustment,
  type RefreshTarget,
} from './decision.model';
import { type ResourceRef, instanceRef, serverGroupRef, toTarget } from './resource.refs';

const DEFAULT_HEARTBEAT_PERIOD_MS = 60_000;
const DEFAULT_TOLERATED_MISSES = 1;
const DEFAULT_ISSUE_FACTOR = 2;
const DEFAULT_ISSUE_TTL_MS = 60 * 60_000;

/** AWS Health services whose operational issues slow down the agents filling these cache types. */
const HEALTH_SERVICE_TYPES: ReadonlyMap<string, readonly CacheKeyType[]> = new Map([
  ['EC2', ['instances', 'launchTemplates', 'securityGroups', 'subnets', 'vpcs']],
  ['AUTOSCALING', ['serverGroups', 'clusters', 'applications']],
  ['ELASTICLOADBALANCING', ['loadBalancers', 'targetGroups']],
]);

/**
 * Maps one event to what should happen (docs/architecture.md#decide, #eventbridge-events). Pure: the same event and context always
 * give the same decision, and no decision carries resource state into the cache.
 *
 * - EC2 state change, Spot interruption warning, rebalance recommendation → refresh the instance.
 * - Auto Scaling lifecycle action / launch / terminate → refresh the server group and the instance.
 * - AWS Health, service EC2 → refresh each affected instance (region from `eventRegion`); an open
 *   EC2 / Auto Scaling / ELB operational issue without affected instances → back the matching
 *   agents off (factor, expiring), and reset them when it closes.
 * - AWS Config item change (full or oversized) → refresh the resource it names.
 * - CloudTrail write → refresh the resources in its request / response; a failed (`errorCode`) or
 *   read-only call changed nothing.
 * - `aws.events` Scheduled Event (our heartbeat rule) → heartbeat for the account/region.
 * - Anything else → ignore with a reason.
 */
export function decide(event: AwsEvent, context: DecisionContext): Decision {
  const eventId = event.id;
  switch (event.kind) {
    case 'unsupported':
      return ignore(
        eventId,
        'unsupported_event',
        `${event.source} / ${event['detail-type']} is not supported`,
      );
    case 'autoscaling_test_notification':
      return ignore(eventId, 'test_notification', 'Auto Scaling test notification');
    case 'ec2_instance_state_change':
    case 'ec2_spot_interruption_warning':
    case 'ec2_rebalance_recommendation':
      // The Spot warning's resources ARN names an AZ; the envelope region and detail id are authoritative.
      return refresh(eventId, context, event.account, event.region, [
        instanceRef(event.detail['instance-id']),
      ]);
    case 'autoscaling_lifecycle_action':
    case 'autoscaling_instance_activity':
      return refresh(eventId, context, event.account, event.region, [
        serverGroupRef(event.detail.AutoScalingGroupName),
        event.detail.EC2InstanceId === '' ? undefined : instanceRef(event.detail.EC2InstanceId),
      ]);
    case 'health':
      return decideHealth(event, context);
    case 'config_item_change':
    case 'config_oversized_item_change': {
      const item =
        event.kind === 'config_item_change'
          ? event.detail.configurationItem
          : event.detail.configurationItemSummary;
      const configuration =
        event.kind === 'config_item_change' ? event.detail.configurationItem.configuration : null;
      const { supported, ref } = configItemRef(item, configuration);
      if (!supported)
        return ignore(
          eventId,
          'unsupported_event',
          `Config resource type ${item.resourceType} is not cached`,
        );
      return refresh(eventId, context, item.awsAccountId, item.awsRegion, [ref]);
    }
    case 'cloudtrail_api_call': {
      const call = event.detail;
      const accounts = resolve(eventId, context, event.account, event.region);
      if (isDecision(accounts)) return accounts;
      if (call.errorCode !== undefined)
        return ignore(eventId, 'no_change', `${call.eventName} failed (${call.errorCode})`);
      if (call.readOnly === true) return ignore(eventId, 'no_change', `${call.eventName} is read-only`);
      const { supported, refs } = cloudTrailRefs(event);
      if (!supported)
        return ignore(eventId, 'unsupported_event', `${event.source} ${call.eventName} is not supported`);
      return targets(eventId, accounts, event.region, refs);
    }
    case 'scheduled_event':
      return decideHeartbeat(event, context);
  }
}

function decideHealth(event: HealthEvent, context: DecisionContext): Decision {
  const d = event.detail;
  const account = d.affectedAccount ?? event.account;
  const region = d.eventRegion ?? event.region;
  if (region === 'global')
    return ignore(event.id, 'unsupported_event', `global AWS Health event ${d.eventTypeCode}`);
  const instances = d.service === 'EC2' ? d.affectedEntities.map((e) => instanceRef(e.entityValue)) : [];
  if (instances.some((ref) => ref !== undefined))
    return refresh(event.id, context, account, region, instances);

  const types = HEALTH_SERVICE_TYPES.get(d.service);
  if (types === undefined)
    return ignore(event.id, 'unsupported_event', `AWS Health events for ${d.service} are not supported`);
  if (d.eventTypeCategory !== 'issue') {
    return ignore(event.id, 'no_targets', `AWS Health ${d.eventTypeCode} names no instance`);
  }
  const accounts = resolve(event.id, context, account, region);
  if (isDecision(accounts)) return accounts;
  const status = d.statusCode ?? 'open';
  if (status !== 'open' && status !== 'closed') {
    return ignore(event.id, 'no_change', `AWS Health issue status ${status} changes nothing yet`);
  }
  const policy = context.healthIssues ?? {};
  const reason = `aws_health:${d.eventTypeCode}:${status}`;
  const expiresAt = context.clock.now() + (policy.ttlMs ?? DEFAULT_ISSUE_TTL_MS);
  const adjustments: IntervalAdjustment[] = accounts.map((a) =>
    status === 'open'
      ? {
          account: a.name,
          region,
          types,
          change: { mode: 'factor', factor: policy.factor ?? DEFAULT_ISSUE_FACTOR },
          expiresAt,
          reason,
        }
      : { account: a.name, region, types, change: { mode: 'reset' }, reason },
  );
  return { kind: 'adjust_intervals', eventId: event.id, adjustments };
}

function decideHeartbeat(event: ScheduledEvent, context: DecisionContext): Decision {
  const policy = context.heartbeat ?? {};
  if (policy.ruleNames !== undefined && policy.ruleNames.length > 0) {
    const rules = event.resources.map(ruleName);
    if (!rules.some((rule) => rule !== undefined && policy.ruleNames!.includes(rule))) {
      return ignore(event.id, 'unsupported_event', 'Scheduled Event is not from a heartbeat rule');
    }
  }
  const accounts = resolve(event.id, context, event.account, event.region);
  if (isDecision(accounts)) return accounts;
  const now = context.clock.now();
  const firedAt = Math.min(Date.parse(event.time), now);
  const period = policy.periodMs ?? DEFAULT_HEARTBEAT_PERIOD_MS;
  const healthyUntil = firedAt + period * ((policy.toleratedMisses ?? DEFAULT_TOLERATED_MISSES) + 1);
  if (healthyUntil <= now) {
    return ignore(event.id, 'stale_heartbeat', `heartbeat from ${event.time} arrived too late to count`);
  }
  return {
    kind: 'heartbeat',
    eventId: event.id,
    pipelines: accounts.map((a) => ({ account: a.name, region: event.region })),
    healthyUntil,
  };
}

/** `arn:aws:events:<region>:<account>:rule/[<bus>/]<name>` → `<name>`. */
function ruleName(arn: string): string | undefined {
  const at = arn.indexOf(':rule/');
  if (at < 0) return undefined;
  const path = arn.slice(at + ':rule/'.length);
  return path.slice(path.lastIndexOf('/') + 1) || undefined;
}

// --- helpers ------------------------------------------------------------------------------------

function refresh(
  eventId: string,
  context: DecisionContext,
  awsAccountId: string,
  region: string,
  refs: readonly (ResourceRef | undefined)[],
): Decision {
  const accounts = resolve(eventId, context, awsAccountId, region);
  if (isDecision(accounts)) return accounts;
  return targets(eventId, accounts, region, refs);
}

function targets(
  eventId: string,
  accounts: readonly SpinnakerAccount[],
  region: string,
  refs: readonly (ResourceRef | undefined)[],
): Decision {
  const out: RefreshTarget[] = [];
  const seen = new Set<string>();
  for (const account of accounts) {
    for (const ref of refs) {
      if (ref === undefined) continue;
      const target = toTarget(ref, account.name, region);
      if (target === undefined) continue;
      const identity = `${target.key}|${target.idKind}|${target.id}`;
      if (seen.has(identity)) continue;
      seen.add(identity);
      out.push(target);
    }
  }
  if (out.length === 0)
    return ignore(eventId, 'no_targets', 'the event names no resource that can be cached');
  return { kind: 'refresh', eventId, targets: out };
}

/** The Spinnaker accounts for an AWS account in a region, or the ignore decision explaining why none. */
function resolve(
  eventId: string,
  context: DecisionContext,
  awsAccountId: string,
  region: string,
): readonly SpinnakerAccount[] | Decision {
  const all = context.accounts.byAwsAccountId(awsAccountId);
  if (all.length === 0)
    return ignore(eventId, 'unknown_account', `AWS account ${awsAccountId} is not configured`);
  const inRegion = all.filter((a) => a.regions === undefined || a.regions.has(region));
  if (inRegion.length === 0)
    return ignore(
      eventId,
      'unknown_region',
      `region ${region} is not configured for AWS account ${awsAccountId}`,
    );
  return inRegion;
}

function isDecision(value: readonly SpinnakerAccount[] | Decision): value is Decision {
  return !Array.isArray(value);
}

function ignore(eventId: string, reason: IgnoreReason, message: string): Decision {
  return { kind: 'ignore', eventId, reason, message };
}
