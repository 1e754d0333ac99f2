import type { CacheRecord, FollowUpRefresh, RefreshItem } from '@event-cache/agents';
import { str } from '../aws/attributes';
import type { AwsConfig } from '../aws-agents.model';

/**
 * Target health where it can change. Clouddriver re-reads every target group's health every 30 s;
 * here it is read by full runs (the slow reconcile) and by targeted refreshes of target groups,
 * which come from events (RegisterTargets ...) and from server groups that changed. A target
 * group refresh that finds its targets still settling asks to be read again shortly, for a
 * bounded time, so an instance going `initial` -> `healthy` shows within seconds without polling
 * every target group.
 */

/** `aws.targetHealth`: re-check delay, and how long after the change that started them re-checks go on. */
export type TargetHealthSettings = AwsConfig['targetHealth'];

/** Target health states that change on their own within minutes. */
const SETTLING_STATES: ReadonlySet<unknown> = new Set(['initial', 'draining']);
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
/** Hints of a target group refresh (in the request's target). */
const SINCE = 'recheckSince';
const EXPECT = 'expectInstances';

/**
 * The target of a target group refresh that watches target health: by ARN, since when (the
 * change that started it: re-checks end `windowSeconds` after it), and the instances that should
 * be registered (a server group's `InService` ones).
 */
export function targetHealthRecheck(
  arn: string,
  since: Date,
  expectInstances: readonly string[],
): FollowUpRefresh['target'] {
  return {
    id: arn,
    idKind: 'targetGroupArn',
    partial: false,
    [SINCE]: since.toISOString(),
    ...(expectInstances.length > 0 && { [EXPECT]: [...new Set(expectInstances)].sort() }),
  };
}

/**
 * The re-check a target group read for `item` asks for, or none: when one of its targets is
 * `initial` or `draining`, or an instance it should have is not registered yet, and the window
 * that started with the change is still open. The re-check carries the same start and
 * expectations; a new change (a new request for the key) starts a new window.
 */
export function targetHealthRecheckOf(
  item: RefreshItem,
  record: CacheRecord,
  readStartedAt: Date,
  settings: TargetHealthSettings,
): FollowUpRefresh | undefined {
  if (record.type !== 'targetGroups' || settings.windowSeconds <= 0) return undefined;
  const since = sinceOf(item.hints, readStartedAt);
  if (readStartedAt.getTime() - since.getTime() >= settings.windowSeconds * 1_000) return undefined;
  const arn = str(record.attributes.targetGroupArn);
  const expected = expectedOf(item.hints);
  if (arn === undefined || !settling(record, expected)) return undefined;
  return {
    type: 'targetGroups',
    key: record.key,
    target: targetHealthRecheck(arn, since, expected),
    delayMs: settings.recheckSeconds * 1_000,
  };
}

interface TargetHealthAttributes {
  target?: { id?: unknown };
  targetHealth?: { state?: unknown };
}

function settling(record: CacheRecord, expected: readonly string[]): boolean {
  const descriptions = record.attributes.targetHealthDescriptions;
  const list = Array.isArray(descriptions) ? (descriptions as TargetHealthAttributes[]) : [];
  if (list.some((d) => SETTLING_STATES.has(d?.targetHealth?.state))) return true;
  if (record.attributes.targetType !== 'instance' || expected.length === 0) return false;
  const registered = new Set(list.map((d) => d?.target?.id));
  return expected.some((id) => !registered.has(id));
}

/** When the watch started: the hint if it is a valid time not in the future, else now. */
function sinceOf(hints: RefreshItem['hints'], now: Date): Date {
  const value = hints?.[SINCE];
  const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isFinite(time) && time <= now.getTime() ? new Date(time) : now;
}

function expectedOf(hints: RefreshItem['hints']): string[] {
  const value = hints?.[EXPECT];
  if (!Array.isArray(value)) return [];
  return value.filter((id): id is string => typeof id === 'string' && INSTANCE_ID.test(id));
}
