import {
  type CarriedInstanceState,
  type Heartbeat,
  type InboxOutcomeUpdate,
  type PendingInboxEvent,
  type RefreshEnqueue,
  refreshRequestFor,
} from '@event-cache/cache-store';
import {
  type AwsEvent,
  type Decision,
  type DecisionContext,
  type IntervalAdjustment,
  type RefreshTarget,
  decide,
} from '@event-cache/events';

export interface PlannedRefresh {
  eventId: string;
  target: RefreshTarget;
  request: RefreshEnqueue;
}

/**
 * An instance state an event carried, applied without a read; `fallback` is the refresh to run
 * instead when the store cannot apply it exactly (see `applyInstanceStates`).
 */
export interface PlannedState {
  eventId: string;
  state: CarriedInstanceState;
  fallback: PlannedRefresh;
}

export interface PlannedAdjustment {
  eventId: string;
  adjustment: IntervalAdjustment;
}

export interface PlannedHeartbeat {
  eventId: string;
  heartbeat: Heartbeat;
}

/** Everything one claimed batch of inbox events leads to, written in one transaction. */
export interface InboxPlan {
  outcomes: InboxOutcomeUpdate[];
  refreshes: PlannedRefresh[];
  /** EC2 state changes whose new state the event carries in full (stopping, stopped, terminated ...). */
  states: PlannedState[];
  adjustments: PlannedAdjustment[];
  heartbeats: PlannedHeartbeat[];
  /** Events whose payload could not be decided (recorded as rejected), for the log. */
  failures: { eventId: string; reason: string; message: string }[];
}

/**
 * Runs the decision logic over claimed inbox events and turns the decisions into writes. Pure: the
 * same events and context always give the same plan. A payload that cannot be decided never stops
 * the rest of the batch: it is recorded as rejected with its reason.
 */
export function planInboxBatch(events: readonly PendingInboxEvent[], context: DecisionContext): InboxPlan {
  const plan: InboxPlan = {
    outcomes: [],
    refreshes: [],
    states: [],
    adjustments: [],
    heartbeats: [],
    failures: [],
  };
  for (const pending of events) {
    const event = eventOf(pending.payload);
    if (event === undefined) {
      fail(plan, pending.eventId, 'schema_violation', 'the stored payload is not an ingested event');
      continue;
    }
    let decision: Decision;
    try {
      decision = decide(event, context);
    } catch (error) {
      fail(plan, pending.eventId, 'decision_failed', error instanceof Error ? error.message : String(error));
      continue;
    }
    applyDecision(plan, pending, event, decision, context.clock.now());
  }
  return plan;
}

function applyDecision(
  plan: InboxPlan,
  pending: PendingInboxEvent,
  event: AwsEvent,
  decision: Decision,
  now: number,
): void {
  const eventId = pending.eventId;
  switch (decision.kind) {
    case 'refresh': {
      const carried = carriedState(event, decision, now);
      if (carried !== undefined) {
        const [target] = decision.targets;
        plan.states.push({
          eventId,
          state: carried,
          fallback: { eventId, target, request: refreshRequestFor(target, 'event', pending.receivedAt) },
        });
        plan.outcomes.push({
          eventId,
          outcome: 'refreshed',
          reason: STATE_FROM_EVENT,
          refreshKeys: [target.key],
        });
        return;
      }
      for (const target of decision.targets) {
        plan.refreshes.push({
          eventId,
          target,
          request: refreshRequestFor(target, 'event', pending.receivedAt),
        });
      }
      plan.outcomes.push({
        eventId,
        outcome: 'refreshed',
        reason: null,
        refreshKeys: [...new Set(decision.targets.map((t) => t.key))],
      });
      return;
    }
    case 'adjust_intervals':
      for (const adjustment of decision.adjustments) plan.adjustments.push({ eventId, adjustment });
      plan.outcomes.push({
        eventId,
        outcome: 'adjusted',
        reason: [...new Set(decision.adjustments.map((a) => a.reason))].join(',') || null,
      });
      return;
    case 'heartbeat': {
      const sent = Date.parse(event.time);
      const at = new Date(Number.isFinite(sent) ? Math.min(sent, now) : pending.receivedAt.getTime());
      const healthyUntil = new Date(decision.healthyUntil);
      for (const p of decision.pipelines) {
        plan.heartbeats.push({
          eventId,
          heartbeat: { account: p.account, region: p.region, at, healthyUntil },
        });
      }
      plan.outcomes.push({ eventId, outcome: 'heartbeat', reason: null });
      return;
    }
    case 'ignore':
      plan.outcomes.push({ eventId, outcome: 'ignored', reason: decision.reason });
      return;
  }
}

function fail(plan: InboxPlan, eventId: string, reason: string, message: string): void {
  plan.failures.push({ eventId, reason, message });
  plan.outcomes.push({ eventId, outcome: 'rejected', reason });
}

/** The event of a stored `IngestedEvent` payload, if it still looks like one. */
function eventOf(payload: unknown): AwsEvent | undefined {
  if (payload === null || typeof payload !== 'object') return undefined;
  const event = (payload as { event?: unknown }).event;
  if (event === null || typeof event !== 'object') return undefined;
  const { id, kind, account, region, source, time } = event as Record<string, unknown>;
  const strings = [id, kind, account, region, source, time].every((v) => typeof v === 'string');
  return strings ? (event as AwsEvent) : undefined;
}

/** The outcome reason of an event whose carried state was applied without a read. */
export const STATE_FROM_EVENT = 'state_from_event';

/**
 * EC2 states an instance state-change event carries exactly: the state itself is all that changes
 * (`terminated`: the instance is gone). `pending` and `running` come with new addresses, a new
 * host and more, which only a read gives.
 */
const CARRIED_STATES: ReadonlySet<string> = new Set(['stopping', 'stopped', 'shutting-down', 'terminated']);

function carriedState(
  event: AwsEvent,
  decision: Extract<Decision, { kind: 'refresh' }>,
  now: number,
): CarriedInstanceState | undefined {
  if (event.kind !== 'ec2_instance_state_change' || !CARRIED_STATES.has(event.detail.state)) return undefined;
  const [target] = decision.targets;
  if (decision.targets.length !== 1 || target.type !== 'instances' || target.partial) return undefined;
  const sent = Date.parse(event.time);
  // An event without a usable time cannot be ordered against reads: it is re-read instead.
  if (!Number.isFinite(sent)) return undefined;
  return { key: target.key, state: event.detail.state, at: new Date(Math.min(sent, now)) };
}
