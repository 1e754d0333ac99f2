import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PendingInboxEvent } from '@event-cache/cache-store';
import { AccountDirectory, type DecisionContext, parseSqsMessageBody } from '@event-cache/events';
import { planInboxBatch } from './inbox.planner';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const RECEIVED = new Date(NOW - 1_000);
const context: DecisionContext = {
  accounts: new AccountDirectory([
    { name: 'prod', accountId: '123456789012', regions: [{ name: 'us-east-1' }] },
  ]),
  clock: { now: () => NOW },
};

function pending(
  fixture: string,
  change: (e: Record<string, unknown>) => void = () => undefined,
): PendingInboxEvent {
  const path = join(
    __dirname,
    '..',
    '..',
    '..',
    '..',
    'libs',
    'events',
    'src',
    '__fixtures__',
    'eventbridge',
    fixture,
  );
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  change(raw);
  const parsed = parseSqsMessageBody(JSON.stringify(raw));
  if (!parsed.ok) throw new Error(parsed.message);
  // What the inbox hands back: the payload went through JSON (jsonb).
  return {
    eventId: parsed.value.event.id,
    channel: 'sqs',
    payload: JSON.parse(JSON.stringify(parsed.value)),
    receivedAt: RECEIVED,
  };
}

describe('planInboxBatch', () => {
  it('plans refresh requests in the refresh-worker contract, partial targets by coalescing key', () => {
    const sg = pending('cloudtrail-authorize-security-group-ingress.json');
    const plan = planInboxBatch([sg], context);
    expect(plan.outcomes).toEqual([
      {
        eventId: sg.eventId,
        outcome: 'refreshed',
        reason: null,
        refreshKeys: [expect.stringMatching(/^aws:securityGroups:\*:sg-/)],
      },
    ]);
    expect(plan.refreshes).toHaveLength(1);
    const { request, target } = plan.refreshes[0];
    expect(target.partial).toBe(true);
    expect(request).toEqual({
      type: 'securityGroups',
      key: `securityGroups|prod|us-east-1|securityGroupId|${target.id}`,
      account: 'prod',
      region: 'us-east-1',
      origin: 'event',
      requestedAt: RECEIVED,
      target: { id: target.id, idKind: 'securityGroupId', partial: true, pattern: target.key },
    });
  });

  it('plans heartbeats, interval changes and ignores with their reasons', () => {
    const beat = pending('scheduled-event.json', (e) => (e.time = new Date(NOW - 5_000).toISOString()));
    const issue = pending('health-ec2-operational-issue.json');
    const foreign = pending('ec2-instance-state-change.json', (e) => (e.account = '999999999999'));
    const plan = planInboxBatch([beat, issue, foreign], context);
    expect(plan.outcomes).toEqual([
      { eventId: beat.eventId, outcome: 'heartbeat', reason: null },
      {
        eventId: issue.eventId,
        outcome: 'adjusted',
        reason: expect.stringContaining('AWS_EC2_OPERATIONAL_ISSUE'),
      },
      { eventId: foreign.eventId, outcome: 'ignored', reason: 'unknown_account' },
    ]);
    expect(plan.heartbeats).toEqual([
      {
        eventId: beat.eventId,
        heartbeat: {
          account: 'prod',
          region: 'us-east-1',
          at: new Date(NOW - 5_000),
          healthyUntil: expect.any(Date),
        },
      },
    ]);
    expect(plan.adjustments).toEqual([
      {
        eventId: issue.eventId,
        adjustment: expect.objectContaining({ change: { mode: 'factor', factor: 2 } }),
      },
    ]);
    expect(plan.refreshes).toEqual([]);
  });

  it('records a payload it cannot decide as rejected and still plans the rest of the batch', () => {
    const good = pending('ec2-instance-state-change.json');
    const corrupt: PendingInboxEvent = {
      eventId: 'corrupt-1',
      channel: 'api',
      payload: { nope: true },
      receivedAt: RECEIVED,
    };
    const broken: PendingInboxEvent = {
      eventId: 'broken-1',
      channel: 'api',
      payload: {
        event: {
          ...(good.payload as { event: object }).event,
          kind: 'ec2_instance_state_change',
          detail: null,
        },
      },
      receivedAt: RECEIVED,
    };
    const plan = planInboxBatch([corrupt, broken, good], context);
    expect(plan.outcomes.map((o) => [o.eventId, o.outcome, o.reason])).toEqual([
      ['corrupt-1', 'rejected', 'schema_violation'],
      ['broken-1', 'rejected', 'decision_failed'],
      [good.eventId, 'refreshed', null],
    ]);
    expect(plan.failures.map((f) => f.eventId)).toEqual(['corrupt-1', 'broken-1']);
  });
  it('applies the state an EC2 state change carries without a read, with the read as its fallback', () => {
    const stateChange = (state: string, time = '2024-05-01T11:59:58Z') =>
      pending('ec2-instance-state-change.json', (e) => {
        e.id = `state-${state}`;
        e.time = time;
        (e.detail as Record<string, unknown>).state = state;
      });
    const [stopped, terminated, running, future] = [
      stateChange('stopped'),
      stateChange('terminated'),
      stateChange('running'),
      stateChange('stopping', '2024-05-01T12:05:00Z'),
    ];
    const plan = planInboxBatch([stopped, terminated, running, future], context);

    const instance = 'aws:instances:prod:us-east-1:i-1234567890abcdef0';
    expect(plan.states.map((s) => s.state)).toEqual([
      { key: instance, state: 'stopped', at: new Date('2024-05-01T11:59:58Z') },
      { key: instance, state: 'terminated', at: new Date('2024-05-01T11:59:58Z') },
      // An event from the future counts as of now.
      { key: instance, state: 'stopping', at: new Date(NOW) },
    ]);
    expect(plan.states.map((s) => s.fallback.request.key)).toEqual([instance, instance, instance]);
    // `running` comes with addresses and a host only a read gives.
    expect(plan.refreshes.map((r) => [r.eventId, r.request.key])).toEqual([[running.eventId, instance]]);
    expect(plan.outcomes.map((o) => [o.eventId, o.outcome, o.reason])).toEqual([
      [stopped.eventId, 'refreshed', 'state_from_event'],
      [terminated.eventId, 'refreshed', 'state_from_event'],
      [running.eventId, 'refreshed', null],
      [future.eventId, 'refreshed', 'state_from_event'],
    ]);
  });
});
