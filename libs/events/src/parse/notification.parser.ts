import { type JsonObject } from '../json/json.model';
import { parseArn } from '../model/arn.util';
import {
  type AutoScalingTestNotificationDetail,
  type AwsEvent,
  type EventBridgeEvent,
  type InstanceActivityDetailType,
} from '../model/event.model';
import { configEvent, parseInstanceActivityDetail, parseLifecycleActionDetail } from './eventbridge.parser';
import {
  ACCOUNT_ID,
  ARN,
  EVENT_ID,
  NAME,
  REGION_OR_GLOBAL,
  REGION_PATTERN,
  compact,
  fail,
  optString,
  own,
  reqObject,
  reqString,
  reqTime,
} from './schema.util';

/*
 * AWS Config and Auto Scaling notifications (delivered through SNS, or by Auto Scaling straight to
 * SQS) carry the same document EventBridge puts in `detail`. They are normalized into the
 * EventBridge envelope so that one model and one decide() serve every channel.
 */

/** Where the notification came from: supplies the id and fallbacks the document itself lacks. */
export interface NotificationOrigin {
  /** SNS `MessageId`: the event id (takes precedence over the document's own RequestId). */
  readonly messageId?: string;
  /** The SQS message id: the event id when neither of the above is available. */
  readonly fallbackId?: string;
  /** Region / account of the SNS topic or SQS queue, used when the document does not say. */
  readonly region?: string;
  readonly account?: string;
  /** SNS `Timestamp`, used when the document carries no time of its own. */
  readonly time?: string;
}

type Envelope = Omit<EventBridgeEvent<string, unknown>, 'detail'>;

export function isAutoScalingNotification(doc: JsonObject): boolean {
  return own(doc, 'Service') === 'AWS Auto Scaling';
}

export function isConfigNotification(doc: JsonObject): boolean {
  return typeof own(doc, 'messageType') === 'string';
}

const ACTIVITY_EVENTS = new Map<string, InstanceActivityDetailType>([
  ['autoscaling:EC2_INSTANCE_LAUNCH', 'EC2 Instance Launch Successful'],
  ['autoscaling:EC2_INSTANCE_LAUNCH_ERROR', 'EC2 Instance Launch Unsuccessful'],
  ['autoscaling:EC2_INSTANCE_TERMINATE', 'EC2 Instance Terminate Successful'],
  ['autoscaling:EC2_INSTANCE_TERMINATE_ERROR', 'EC2 Instance Terminate Unsuccessful'],
]);

/**
 * An Auto Scaling notification: a notification-configuration message (`Event`), a lifecycle-hook
 * message (`LifecycleTransition`), or `autoscaling:TEST_NOTIFICATION`. Throws SchemaError.
 */
export function parseAutoScalingNotification(doc: JsonObject, origin: NotificationOrigin): AwsEvent {
  const where = 'notification';
  const asgArn = optString(doc, 'AutoScalingGroupARN', where, ARN);
  const arnRegion = asgArn === undefined ? undefined : parseArn(asgArn)?.region;
  const region = arnRegion || origin.region;
  if (region === undefined || !REGION_PATTERN.test(region)) {
    fail(
      `${where}.AutoScalingGroupARN`,
      'an Auto Scaling group ARN naming the region (or the queue region as a fallback)',
    );
  }
  const requestId = optString(doc, 'RequestId', where, EVENT_ID);
  const id =
    origin.messageId ??
    requestId ??
    origin.fallbackId ??
    fail(`${where}.RequestId`, 'an id (RequestId or the message id)');
  const envelope: Envelope = {
    version: '0',
    id,
    'detail-type': '',
    source: 'aws.autoscaling',
    account: reqString(doc, 'AccountId', where, ACCOUNT_ID),
    time: reqTime(doc, 'Time', where),
    region,
    resources: asgArn === undefined ? [] : [asgArn],
  };

  const event = own(doc, 'Event');
  if (event === 'autoscaling:TEST_NOTIFICATION') {
    const detail = compact<AutoScalingTestNotificationDetail>({
      AutoScalingGroupName: optString(doc, 'AutoScalingGroupName', where, NAME),
      AutoScalingGroupARN: asgArn,
      RequestId: requestId,
    });
    return {
      ...envelope,
      'detail-type': 'autoscaling:TEST_NOTIFICATION',
      source: 'aws.autoscaling',
      kind: 'autoscaling_test_notification',
      detail,
    };
  }
  if (typeof event === 'string') {
    const detailType = ACTIVITY_EVENTS.get(event);
    if (detailType === undefined)
      return { ...envelope, 'detail-type': event.slice(0, 256), detail: null, kind: 'unsupported' };
    return {
      ...envelope,
      'detail-type': detailType,
      source: 'aws.autoscaling',
      kind: 'autoscaling_instance_activity',
      detail: parseInstanceActivityDetail(doc, where),
    };
  }
  if (own(doc, 'LifecycleTransition') !== undefined) {
    const detail = parseLifecycleActionDetail(doc, where);
    return {
      ...envelope,
      'detail-type':
        detail.LifecycleTransition === 'autoscaling:EC2_INSTANCE_LAUNCHING'
          ? 'EC2 Instance-launch Lifecycle Action'
          : 'EC2 Instance-terminate Lifecycle Action',
      source: 'aws.autoscaling',
      kind: 'autoscaling_lifecycle_action',
      detail,
    };
  }
  return fail(`${where}.Event`, 'an Auto Scaling event name or a LifecycleTransition');
}

/**
 * An AWS Config SNS notification. Item changes (full and oversized) become typed events; other
 * message types (compliance, deliveries, evaluations) become `unsupported`. Throws SchemaError.
 */
export function parseConfigNotification(doc: JsonObject, origin: NotificationOrigin): AwsEvent {
  const where = 'notification';
  const messageType = reqString(doc, 'messageType', where, { max: 128 });
  const id =
    origin.messageId ??
    origin.fallbackId ??
    fail(where, 'an SNS MessageId (or the SQS message id) to identify it');
  const item =
    messageType === 'ConfigurationItemChangeNotification'
      ? reqObject(doc, 'configurationItem', where)
      : messageType === 'OversizedConfigurationItemChangeNotification'
        ? reqObject(doc, 'configurationItemSummary', where)
        : undefined;
  const source = item ?? doc;
  const account = optString(source, 'awsAccountId', where, ACCOUNT_ID) ?? origin.account;
  const region = optString(source, 'awsRegion', where, REGION_OR_GLOBAL) ?? origin.region;
  if (account === undefined) fail(`${where}.awsAccountId`, 'an AWS account id');
  if (region === undefined) fail(`${where}.awsRegion`, 'an AWS region');
  const arn = item === undefined ? undefined : optString(item, 'ARN', where, ARN);
  const envelope: Envelope = {
    version: '0',
    id,
    'detail-type': item === undefined ? messageType : 'Config Configuration Item Change',
    source: 'aws.config',
    account,
    time:
      own(doc, 'notificationCreationTime') !== undefined || origin.time === undefined
        ? reqTime(doc, 'notificationCreationTime', where)
        : origin.time,
    region,
    resources: arn === undefined ? [] : [arn],
  };
  if (item === undefined) {
    return { ...envelope, detail: null, kind: 'unsupported' };
  }
  return configEvent(envelope, doc);
}
