import { randomUUID } from 'node:crypto';
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { Instance, Subnet } from '@aws-sdk/client-ec2';

/** An EventBridge event as EventBridge delivers it (the envelope of every source). */
export interface DemoEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

interface Where {
  accountId: string;
  region: string;
}

function envelope(
  where: Where,
  source: string,
  detailType: string,
  at: number,
  resources: string[],
  detail: Record<string, unknown>,
): DemoEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source,
    account: where.accountId,
    time: eventTime(at),
    region: where.region,
    resources,
    detail,
  };
}

/** EventBridge's times: ISO-8601 to the second. */
function eventTime(at: number): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `aws.ec2` EC2 Instance State-change Notification. */
export function instanceStateChange(where: Where, instanceId: string, state: string, at: number): DemoEvent {
  return envelope(
    where,
    'aws.ec2',
    'EC2 Instance State-change Notification',
    at,
    [`arn:aws:ec2:${where.region}:${where.accountId}:instance/${instanceId}`],
    { 'instance-id': instanceId, state },
  );
}

/** `aws.autoscaling` EC2 Instance Launch Successful / EC2 Instance Terminate Successful. */
export function autoScalingActivity(
  where: Where,
  kind: 'launch' | 'terminate',
  group: AutoScalingGroup,
  instance: Instance,
  subnet: Subnet,
  cause: string,
  started: number,
  ended: number,
): DemoEvent {
  const id = instance.InstanceId!;
  return envelope(
    where,
    'aws.autoscaling',
    kind === 'launch' ? 'EC2 Instance Launch Successful' : 'EC2 Instance Terminate Successful',
    ended,
    [group.AutoScalingGroupARN!, `arn:aws:ec2:${where.region}:${where.accountId}:instance/${id}`],
    {
      StatusCode: 'InProgress',
      Description:
        kind === 'launch' ? `Launching a new EC2 instance: ${id}` : `Terminating EC2 instance: ${id}`,
      AutoScalingGroupName: group.AutoScalingGroupName,
      ActivityId: randomUUID(),
      Details: { 'Availability Zone': subnet.AvailabilityZone, 'Subnet ID': subnet.SubnetId },
      RequestId: randomUUID(),
      StatusMessage: '',
      EndTime: eventTime(ended),
      EC2InstanceId: id,
      StartTime: eventTime(started),
      Cause: cause,
      Origin: kind === 'launch' ? 'EC2' : 'AutoScalingGroup',
      Destination: kind === 'launch' ? 'AutoScalingGroup' : 'EC2',
    },
  );
}

/** `AWS API Call via CloudTrail`: a write made by Spinnaker's role, as CloudTrail records it. */
export function cloudTrailCall(
  where: Where,
  source: 'aws.ec2' | 'aws.autoscaling',
  eventName: string,
  at: number,
  requestParameters: Record<string, unknown>,
  responseElements: Record<string, unknown> | null = null,
): DemoEvent {
  const role = `arn:aws:iam::${where.accountId}:role/spinnakerManaged`;
  return envelope(where, source, 'AWS API Call via CloudTrail', at, [], {
    eventVersion: '1.08',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROADEMODEMODEMODEMO:spinnaker',
      arn: `arn:aws:sts::${where.accountId}:assumed-role/spinnakerManaged/spinnaker`,
      accountId: where.accountId,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROADEMODEMODEMODEMO',
          arn: role,
          accountId: where.accountId,
          userName: 'spinnakerManaged',
        },
      },
    },
    eventTime: eventTime(at),
    eventSource: source === 'aws.ec2' ? 'ec2.amazonaws.com' : 'autoscaling.amazonaws.com',
    eventName,
    awsRegion: where.region,
    sourceIPAddress: '10.0.1.5',
    userAgent: 'aws-sdk-java/1.12.400',
    requestParameters,
    responseElements,
    requestID: randomUUID(),
    eventID: randomUUID(),
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: where.accountId,
    eventCategory: 'Management',
  });
}

/** `aws.events` Scheduled Event of the heartbeat rule. */
export function heartbeatEvent(accountId: string, region: string, ruleName: string, at: number): DemoEvent {
  return envelope(
    { accountId, region },
    'aws.events',
    'Scheduled Event',
    at,
    [`arn:aws:events:${region}:${accountId}:rule/${ruleName}`],
    {},
  );
}

export interface EventSenderOptions {
  /** gate-endpoint's base URL: events go to its EventBridge API-destination door, `POST /events`. */
  gateUrl: string;
  apiKeyHeader: string;
  apiKey: string;
  log?(line: string): void;
  /** Events waiting while gate-endpoint is not up yet; the oldest go first when full (default 1000). */
  maxQueue?: number;
  /** First wait before sending again after a failure (default 500 ms; doubles up to 10 s). */
  retryMs?: number;
}

/**
 * Delivers events as an EventBridge API destination does: one event per `POST /events`, the
 * connection's API key in its header. Events wait (in order, bounded) while gate-endpoint is
 * starting or down; an event refused for good (4xx) is logged once and dropped.
 */
export class EventSender {
  private readonly queue: DemoEvent[] = [];
  private running = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  delivered = 0;
  refused = 0;

  constructor(private readonly options: EventSenderOptions) {}

  send(event: DemoEvent): void {
    if (this.stopped) return;
    if (this.queue.length >= (this.options.maxQueue ?? 1_000)) this.queue.shift();
    this.queue.push(event);
    if (!this.running) void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
    this.wake?.();
  }

  /** Resolves once every queued event was delivered or refused (tests). */
  async idle(): Promise<void> {
    while (this.running) await new Promise((r) => setTimeout(r, 20));
  }

  private async run(): Promise<void> {
    this.running = true;
    let delay = this.options.retryMs ?? 500;
    try {
      while (!this.stopped && this.queue.length > 0) {
        const event = this.queue[0];
        const outcome = await this.post(event);
        if (outcome === 'retry') {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
            setTimeout(resolve, delay);
          });
          delay = Math.min(delay * 2, 10_000);
          continue;
        }
        delay = this.options.retryMs ?? 500;
        if (this.queue[0] === event) this.queue.shift();
      }
    } finally {
      this.running = false;
    }
  }

  private async post(event: DemoEvent): Promise<'done' | 'retry'> {
    try {
      const res = await fetch(new URL('/events', this.options.gateUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json', [this.options.apiKeyHeader]: this.options.apiKey },
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(5_000),
      });
      const text = await res.text();
      if (res.ok) {
        this.delivered++;
        return 'done';
      }
      if (res.status >= 500) return 'retry';
      this.refused++;
      this.options.log?.(
        `event ${event.id} (${event['detail-type']}) refused by POST /events: ${res.status} ${text.slice(0, 300)}`,
      );
      return 'done';
    } catch {
      return 'retry'; // not listening yet, or gone for a moment
    }
  }
}
