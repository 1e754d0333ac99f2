import {
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
  const plan: InboxPlan = { outcomes: [], refreshes: [], adjustments: [], heartbeats: [], failures: [] };
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
    case 'refresh':
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
