import {
  fixtureFiles,
  fixtureJson,
  fixtureText,
  signedSnsMessage,
  snsEnvelopeForSqs,
} from '../__fixtures__/event.fixtures';
import { type AwsEvent, type IngestedEvent } from '../model/event.model';
import { type ParseResult, REJECT_REASONS, type RejectReason } from '../result.model';
import {
  parseApiDestinationBody,
  parseSnsHttpBody,
  parseSnsNotificationMessage,
  parseSqsMessageBody,
} from './ingest.parser';

function ok<T>(result: ParseResult<T>): T {
  if (!result.ok) throw new Error(`expected success, got ${result.reason}: ${result.message}`);
  return result.value;
}

function event(result: ParseResult<IngestedEvent>): AwsEvent {
  return ok(result).event;
}

const EXPECTED_KINDS: Record<string, AwsEvent['kind']> = {
  'ec2-instance-state-change': 'ec2_instance_state_change',
  'ec2-spot-interruption-warning': 'ec2_spot_interruption_warning',
  'ec2-rebalance-recommendation': 'ec2_rebalance_recommendation',
  'autoscaling-launch-lifecycle-action': 'autoscaling_lifecycle_action',
  'autoscaling-terminate-lifecycle-action': 'autoscaling_lifecycle_action',
  'autoscaling-launch-successful': 'autoscaling_instance_activity',
  'autoscaling-launch-unsuccessful': 'autoscaling_instance_activity',
  'autoscaling-terminate-successful': 'autoscaling_instance_activity',
  'health-ec2-scheduled-change': 'health',
  'health-ec2-operational-issue': 'health',
  'config-item-change': 'config_item_change',
  'config-oversized-item-change': 'config_oversized_item_change',
  'scheduled-event': 'scheduled_event',
  'unsupported-s3-object-created': 'unsupported',
};

describe('EventBridge events (SQS body and API destination)', () => {
  const files = fixtureFiles('eventbridge');

  it.each(files)('%s parses identically through SQS and the API destination', (file) => {
    const body = fixtureText(file);
    const viaSqs = ok(parseSqsMessageBody(body));
    const viaApi = ok(parseApiDestinationBody(Buffer.from(body, 'utf8')));
    expect(viaSqs).toEqual(viaApi);
    expect(viaSqs.format).toBe('eventbridge');
    expect(viaSqs.sns).toBeUndefined();
    const raw = fixtureJson(file);
    const name = file.replace(/^eventbridge\/|\.json$/g, '');
    const expectedKind = name.startsWith('cloudtrail-') ? 'cloudtrail_api_call' : EXPECTED_KINDS[name];
    expect(viaSqs.event.kind).toBe(expectedKind);
    expect(viaSqs.event.id).toBe(raw.id);
    expect(viaSqs.event.account).toBe(raw.account);
    expect(viaSqs.event['detail-type']).toBe(raw['detail-type']);
  });

  it('types the EC2 state-change detail', () => {
    const e = event(parseSqsMessageBody(fixtureText('eventbridge/ec2-instance-state-change.json')));
    expect(e).toEqual({
      kind: 'ec2_instance_state_change',
      version: '0',
      id: '7bf73129-1428-4cd3-a780-95db273d1602',
      'detail-type': 'EC2 Instance State-change Notification',
      source: 'aws.ec2',
      account: '123456789012',
      time: '2021-11-11T21:29:54Z',
      region: 'us-east-1',
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-1234567890abcdef0'],
      detail: { 'instance-id': 'i-1234567890abcdef0', state: 'pending' },
    });
  });

  it('keeps the Spot warning region from the envelope even though the ARN names an AZ', () => {
    const e = event(parseApiDestinationBody(fixtureText('eventbridge/ec2-spot-interruption-warning.json')));
    expect(e.region).toBe('us-east-2');
    expect(e.kind === 'ec2_spot_interruption_warning' && e.detail).toEqual({
      'instance-id': 'i-1234567890abcdef0',
      'instance-action': 'terminate',
    });
  });

  it('reads AWS Health times as RFC 1123 and keeps eventRegion', () => {
    const e = event(parseApiDestinationBody(fixtureText('eventbridge/health-ec2-scheduled-change.json')));
    if (e.kind !== 'health') throw new Error(e.kind);
    expect(e.detail.startTime).toBe('Sun, 05 Feb 2023 03:00:00 GMT');
    expect(e.detail.eventRegion).toBe('us-east-1');
    expect(e.detail.affectedEntities.map((x) => x.entityValue)).toEqual(['i-abcd1111', 'i-abcd2222']);

    const iso = fixtureJson('eventbridge/health-ec2-scheduled-change.json') as {
      detail: Record<string, unknown>;
    };
    iso.detail.startTime = '2023-02-05T03:00:00Z';
    expect(parseApiDestinationBody(JSON.stringify(iso))).toMatchObject({
      ok: false,
      reason: 'schema_violation',
      message: 'detail.startTime: expected an RFC 1123 timestamp',
    });
  });

  it('keeps a CloudTrail errorCode so decide() can see the call failed', () => {
    const e = event(
      parseSqsMessageBody(fixtureText('eventbridge/cloudtrail-terminate-instances-failed.json')),
    );
    expect(e.kind === 'cloudtrail_api_call' && e.detail.errorCode).toBe('Client.UnauthorizedOperation');
  });

  it('reads the oversized Config notification from its summary', () => {
    const e = event(parseSqsMessageBody(fixtureText('eventbridge/config-oversized-item-change.json')));
    if (e.kind !== 'config_oversized_item_change') throw new Error(e.kind);
    expect(e.detail.configurationItemSummary).toMatchObject({
      resourceType: 'AWS::EC2::Instance',
      resourceId: 'i-0a1b2c3d4e5f60718',
      changeType: 'UPDATE',
    });
    expect(e.detail.s3DeliverySummary?.s3BucketLocation).toContain('amzn-s3-demo-bucket/');
  });

  it('does not carry the detail of unsupported events', () => {
    const e = event(parseSqsMessageBody(fixtureText('eventbridge/unsupported-s3-object-created.json')));
    expect(e).toMatchObject({
      kind: 'unsupported',
      source: 'aws.s3',
      'detail-type': 'Object Created',
      detail: null,
    });
  });

  describe('strict schema', () => {
    const base = () =>
      fixtureJson('eventbridge/ec2-instance-state-change.json') as Record<string, unknown> & {
        detail?: Record<string, unknown>;
      };

    it.each<[string, (e: ReturnType<typeof base>) => void, string]>([
      ['missing detail-type', (e) => delete e['detail-type'], 'event.detail-type: expected a string'],
      ['missing detail', (e) => delete e.detail, 'detail: expected an object'],
      [
        'numeric account',
        (e) => (e.account = 123456789012),
        'event.account: expected a 12-digit AWS account id',
      ],
      ['short account', (e) => (e.account = '12345'), 'event.account'],
      ['bad region', (e) => (e.region = 'us-east-2a'), 'event.region: expected an AWS region'],
      ['bad time', (e) => (e.time = 'yesterday'), 'event.time: expected an ISO 8601 timestamp'],
      ['impossible time', (e) => (e.time = '2021-13-45T99:99:99Z'), 'event.time'],
      ['resources not an array', (e) => (e.resources = 'arn:aws:ec2'), 'event.resources: expected an array'],
      ['non-string resource', (e) => (e.resources = [1]), 'event.resources[0]'],
      ['id with spaces', (e) => (e.id = 'a b'), 'event.id: expected an event id'],
      [
        'instance id with a colon',
        (e) => (e.detail!['instance-id'] = 'i-1234:evil'),
        'detail.instance-id: expected an EC2 instance id',
      ],
      ['unknown state', (e) => (e.detail!.state = 'exploded'), 'detail.state: expected one of pending'],
      ['state as a number', (e) => (e.detail!.state = 16), 'detail.state'],
    ])('rejects %s (no coercion, no fallback parser)', (_name, mutate, message) => {
      const e = base();
      mutate(e);
      const result = parseSqsMessageBody(JSON.stringify(e));
      expect(result).toMatchObject({ ok: false, reason: 'schema_violation' });
      expect(!result.ok && result.message).toContain(message);
      // The id is quoted whenever it is itself readable.
      const readableId = e.id === '7bf73129-1428-4cd3-a780-95db273d1602' ? e.id : undefined;
      expect(!result.ok && result.eventId).toBe(readableId);
    });

    it('rejects a non-object body', () => {
      expect(parseApiDestinationBody('[1,2]')).toMatchObject({ ok: false, reason: 'schema_violation' });
      expect(parseSqsMessageBody('"text"')).toMatchObject({ ok: false, reason: 'schema_violation' });
    });

    it('ignores unknown extra fields instead of carrying them', () => {
      const e = base();
      e.extra = { a: 1 };
      e.detail!.extra = 'x';
      const parsed = event(parseSqsMessageBody(JSON.stringify(e)));
      expect(parsed).not.toHaveProperty('extra');
      expect(parsed.detail).not.toHaveProperty('extra');
    });
  });
});

describe('SQS: notifications and SNS envelopes', () => {
  it('parses an SNS envelope carrying an AWS Config item change', () => {
    const result = ok(parseSqsMessageBody(fixtureText('sqs/sns-config-item-change.json')));
    expect(result.format).toBe('config_notification');
    expect(result.sns).toEqual({
      messageId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e',
      topicArn: 'arn:aws:sns:us-east-1:123456789012:event-cache',
    });
    expect(result.event).toMatchObject({
      kind: 'config_item_change',
      id: '95df01b4-ee98-5cb9-9903-4c221d41eb5e',
      source: 'aws.config',
      'detail-type': 'Config Configuration Item Change',
      account: '123456789012',
      region: 'us-east-1',
      time: '2022-03-16T01:10:27.116Z',
      resources: ['arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0'],
    });
  });

  it('keeps the EventBridge id of an event that came through SNS', () => {
    const result = ok(parseSqsMessageBody(fixtureText('sqs/sns-eventbridge-state-change.json')));
    expect(result.format).toBe('eventbridge');
    expect(result.event).toMatchObject({
      kind: 'ec2_instance_state_change',
      id: '7bf73129-1428-4cd3-a780-95db273d1699',
    });
    expect(result.sns?.messageId).toBe('95df01b4-ee98-5cb9-9903-4c221d41eb5f');
  });

  it('normalizes an Auto Scaling launch notification delivered through SNS', () => {
    const result = ok(parseSqsMessageBody(fixtureText('sqs/sns-autoscaling-launch.json')));
    expect(result.format).toBe('autoscaling_notification');
    expect(result.event).toMatchObject({
      kind: 'autoscaling_instance_activity',
      'detail-type': 'EC2 Instance Launch Successful',
      source: 'aws.autoscaling',
      id: '95df01b4-ee98-5cb9-9903-4c221d41eb60',
      region: 'us-west-2',
      detail: { AutoScalingGroupName: 'orders-api-prod-v042', EC2InstanceId: 'i-0aaaaaaaaaaaaaaa3' },
    });
  });

  it('parses a lifecycle-hook message sent straight to SQS, taking the region from the queue', () => {
    const body = fixtureText('notifications/autoscaling-lifecycle-hook-sqs.json');
    const result = ok(parseSqsMessageBody(body, { region: 'us-west-2' }));
    expect(result.format).toBe('autoscaling_notification');
    expect(result.event).toMatchObject({
      kind: 'autoscaling_lifecycle_action',
      'detail-type': 'EC2 Instance-launch Lifecycle Action',
      id: '4e9b4a9c-2fb4-4a8b-9f2a-8a6c1c1c2e21',
      account: '123456789012',
      region: 'us-west-2',
      detail: {
        AutoScalingGroupName: 'orders-api-prod-v042',
        EC2InstanceId: 'i-0aaaaaaaaaaaaaaa3',
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
        LifecycleHookName: 'my-launch-hook',
      },
    });
    expect(parseSqsMessageBody(body)).toMatchObject({
      ok: false,
      reason: 'schema_violation',
      eventId: '4e9b4a9c-2fb4-4a8b-9f2a-8a6c1c1c2e21',
    });
  });

  it('acknowledges autoscaling:TEST_NOTIFICATION as an event, not an error', () => {
    const result = ok(parseSqsMessageBody(fixtureText('notifications/autoscaling-test-notification.json')));
    expect(result.event).toMatchObject({
      kind: 'autoscaling_test_notification',
      'detail-type': 'autoscaling:TEST_NOTIFICATION',
      region: 'us-west-2',
      detail: { AutoScalingGroupName: 'orders-api-prod-v042' },
    });
  });

  it('parses a raw (unwrapped) Config notification using the SQS message id', () => {
    const body = fixtureText('notifications/config-item-change-notification.json');
    expect(ok(parseSqsMessageBody(body, { messageId: 'sqs-1' })).event).toMatchObject({
      kind: 'config_item_change',
      id: 'sqs-1',
    });
    expect(parseSqsMessageBody(body)).toMatchObject({ ok: false, reason: 'schema_violation' });
  });

  it('turns other Config message types into unsupported events', () => {
    const envelope = snsEnvelopeForSqs(
      fixtureJson('notifications/config-compliance-change-notification.json'),
    );
    expect(event(parseSqsMessageBody(JSON.stringify(envelope)))).toMatchObject({
      kind: 'unsupported',
      'detail-type': 'ComplianceChangeNotification',
      account: '123456789012',
      region: 'us-east-1',
    });
  });

  it('enforces the SNS topic allowlist when one is given', () => {
    const body = fixtureText('sqs/sns-config-item-change.json');
    expect(parseSqsMessageBody(body, { snsTopicArns: ['arn:aws:sns:us-east-1:123456789012:other'] })).toEqual(
      {
        ok: false,
        reason: 'untrusted_topic',
        message: 'SNS TopicArn is not in the allowlist',
        eventId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e',
      },
    );
    expect(
      parseSqsMessageBody(body, { snsTopicArns: new Set(['arn:aws:sns:us-east-1:123456789012:event-cache']) })
        .ok,
    ).toBe(true);
  });

  it('does not act on SNS subscription confirmations that reach SQS', () => {
    const body = JSON.stringify(
      snsEnvelopeForSqs('You have chosen to subscribe', { Type: 'SubscriptionConfirmation' }),
    );
    expect(parseSqsMessageBody(body)).toMatchObject({ ok: false, reason: 'unsupported_event' });
  });

  it('rejects an SNS message that is not JSON as unsupported', () => {
    const body = JSON.stringify(snsEnvelopeForSqs('Hello from the console'));
    expect(parseSqsMessageBody(body)).toMatchObject({
      ok: false,
      reason: 'unsupported_event',
      eventId: 'f6e1f6b6-6d3c-5f0e-9b0e-7d2b0b0c1a11',
    });
  });

  it('applies the JSON rules to the SNS Message too', () => {
    const polluted = JSON.stringify(snsEnvelopeForSqs('{"__proto__":{"polluted":1}}'));
    expect(parseSqsMessageBody(polluted)).toMatchObject({
      ok: false,
      reason: 'forbidden_key',
      eventId: 'f6e1f6b6-6d3c-5f0e-9b0e-7d2b0b0c1a11',
    });
    expect(parseSqsMessageBody(JSON.stringify(snsEnvelopeForSqs('{"broken":')))).toMatchObject({
      ok: false,
      reason: 'malformed_json',
    });
    const eventWithoutType = fixtureJson('eventbridge/ec2-instance-state-change.json');
    delete eventWithoutType['detail-type'];
    expect(parseSqsMessageBody(JSON.stringify(snsEnvelopeForSqs(eventWithoutType)))).toMatchObject({
      ok: false,
      reason: 'schema_violation',
    });
  });
});

describe('SNS HTTP bodies', () => {
  it('parses a signed Notification and its Config payload', () => {
    const body = signedSnsMessage({
      Message: fixtureText('notifications/config-item-change-notification.json'),
      Subject: 'Config',
    });
    const message = ok(parseSnsHttpBody(JSON.stringify(body), { messageType: 'Notification' }));
    expect(message).toMatchObject({
      Type: 'Notification',
      Subject: 'Config',
      MessageId: body.MessageId,
      Signature: body.Signature,
    });
    if (message.Type !== 'Notification') throw new Error(message.Type);
    const ingested = ok(parseSnsNotificationMessage(message));
    expect(ingested.format).toBe('config_notification');
    expect(ingested.event).toMatchObject({ kind: 'config_item_change', id: body.MessageId });
  });

  it('parses the oversized Config notification payload', () => {
    const body = signedSnsMessage({
      Message: fixtureText('notifications/config-oversized-item-change-notification.json'),
    });
    const message = ok(parseSnsHttpBody(JSON.stringify(body)));
    if (message.Type !== 'Notification') throw new Error(message.Type);
    expect(ok(parseSnsNotificationMessage(message)).event).toMatchObject({
      kind: 'config_oversized_item_change',
      region: 'us-west-2',
      detail: { configurationItemSummary: { resourceId: 'i-0a1b2c3d4e5f60718' } },
    });
  });

  it('parses an EventBridge event published to SNS', () => {
    const body = signedSnsMessage({ Message: fixtureText('eventbridge/autoscaling-launch-successful.json') });
    const message = ok(parseSnsHttpBody(JSON.stringify(body)));
    if (message.Type !== 'Notification') throw new Error(message.Type);
    expect(ok(parseSnsNotificationMessage(message)).event).toMatchObject({
      kind: 'autoscaling_instance_activity',
      id: '3e3c153a-8339-4e30-8c35-687ebef853fe',
    });
  });

  it.each(['SubscriptionConfirmation', 'UnsubscribeConfirmation'] as const)(
    'parses %s with Token and SubscribeURL',
    (Type) => {
      const body = signedSnsMessage({ Type, Message: 'You have chosen to subscribe to the topic' });
      expect(ok(parseSnsHttpBody(JSON.stringify(body), { messageType: Type }))).toMatchObject({
        Type,
        Token: body.Token,
        SubscribeURL: body.SubscribeURL,
      });
    },
  );

  it('rejects a header that disagrees with the body Type', () => {
    const body = signedSnsMessage({ Type: 'SubscriptionConfirmation' });
    expect(parseSnsHttpBody(JSON.stringify(body), { messageType: 'Notification' })).toMatchObject({
      ok: false,
      reason: 'schema_violation',
      eventId: body.MessageId,
    });
  });

  it.each([
    ['an unknown Type', { Type: 'Bogus' }],
    ['a missing Signature', { Signature: undefined }],
    ['a numeric Timestamp', { Timestamp: 1714564800000 }],
    ['a bad TopicArn', { TopicArn: 'arn:aws:sqs:us-east-1:123456789012:queue' }],
    ['a Message object instead of a string', { Message: { a: 1 } }],
  ])('rejects %s', (_name, override) => {
    const body = { ...signedSnsMessage(), ...override };
    expect(parseSnsHttpBody(JSON.stringify(body))).toMatchObject({ ok: false, reason: 'schema_violation' });
  });

  it('treats a null Subject as absent', () => {
    const body = { ...signedSnsMessage(), Subject: null };
    const message = ok(parseSnsHttpBody(JSON.stringify(body)));
    expect(message).not.toHaveProperty('Subject');
  });
});

describe('rejection reasons from the parsers', () => {
  const produced = new Set<RejectReason>();
  const check = (result: ParseResult<unknown>, reason: RejectReason) => {
    expect(result).toMatchObject({ ok: false, reason });
    produced.add(reason);
  };

  it('covers payload_too_large, malformed_json, forbidden_key, schema_violation, unsupported_event, untrusted_topic', () => {
    check(parseApiDestinationBody('{}', { maxBytes: 1 }), 'payload_too_large');
    check(parseSnsHttpBody('x'.repeat(300 * 1024)), 'payload_too_large');
    check(parseSqsMessageBody('{"id":'), 'malformed_json');
    check(parseApiDestinationBody('{"id":"x","constructor":{}}'), 'forbidden_key');
    check(parseApiDestinationBody('{"id":"x"}'), 'schema_violation');
    check(parseSqsMessageBody(JSON.stringify(snsEnvelopeForSqs('plain text'))), 'unsupported_event');
    check(
      parseSqsMessageBody(fixtureText('sqs/sns-config-item-change.json'), { snsTopicArns: [] }),
      'untrusted_topic',
    );
    // The SNS verification reasons are covered in sns.verifier.spec.ts; unknown_account in decision.engine.spec.ts.
    expect([...produced].every((r) => REJECT_REASONS.includes(r))).toBe(true);
  });

  it('quotes the event id when it could be read, and only then', () => {
    expect(parseApiDestinationBody('{"id":"abc-123","version":"0"}')).toMatchObject({ eventId: 'abc-123' });
    expect(parseApiDestinationBody('{"id":"has space","version":"0"}')).not.toHaveProperty('eventId');
    expect(parseApiDestinationBody('{"id":{"x":1}}')).not.toHaveProperty('eventId');
    expect(parseApiDestinationBody('{"oops')).not.toHaveProperty('eventId');
  });
});
