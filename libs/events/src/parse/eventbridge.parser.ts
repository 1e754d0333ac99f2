import { type JsonObject, isJsonObject } from '../json/json.model';
import {
  type AutoScalingInstanceActivityDetail,
  type AutoScalingLifecycleActionDetail,
  type AwsEvent,
  type CloudTrailApiCallDetail,
  type CloudTrailSource,
  type ConfigItemChangeDetail,
  type ConfigOversizedItemChangeDetail,
  type ConfigurationItemIdentity,
  type EventBridgeEvent,
  type HealthAffectedEntity,
  type HealthEventDetail,
  type InstanceActivityDetailType,
  type LifecycleActionDetailType,
  type LifecycleTransition,
} from '../model/event.model';
import {
  ACCOUNT_ID,
  ARN,
  EVENT_ID,
  INSTANCE_ID,
  NAME,
  REGION,
  REGION_OR_GLOBAL,
  RFC_1123_TIMESTAMP,
  asObject,
  compact,
  fail,
  nullableString,
  objectOrNull,
  oneOf,
  optArray,
  optBoolean,
  optNumber,
  optString,
  optTime,
  own,
  reqArray,
  reqObject,
  reqString,
  reqTime,
} from './schema.util';

const MAX_RESOURCES = 1000;
const MAX_AFFECTED_ENTITIES = 5000;
const MAX_TEXT = 8192;

type Envelope = Omit<EventBridgeEvent<string, unknown>, 'detail'>;

/**
 * Validates an EventBridge event (already safely parsed) and returns its typed form. Every
 * envelope field is required; a supported source/detail-type gets its detail validated strictly,
 * anything else becomes an `unsupported` event (envelope only). Throws SchemaError.
 */
export function parseEventBridgeEvent(doc: JsonObject): AwsEvent {
  const envelope = parseEnvelope(doc);
  const detail = own(doc, 'detail');
  if (!isJsonObject(detail)) fail('detail', 'an object');
  const parse = DETAIL_PARSERS.get(`${envelope.source}\u0000${envelope['detail-type']}`);
  if (parse !== undefined) return parse(envelope, detail);
  return { ...envelope, detail: null, kind: 'unsupported' };
}

function parseEnvelope(doc: JsonObject): Envelope {
  const where = 'event';
  const resources = reqArray(doc, 'resources', where, MAX_RESOURCES);
  for (let i = 0; i < resources.length; i++) {
    const r = resources[i];
    if (typeof r !== 'string' || r.length > 2048)
      fail(`event.resources[${i}]`, 'a string of at most 2048 characters');
  }
  return {
    version: reqString(doc, 'version', where, { max: 16 }),
    id: reqString(doc, 'id', where, EVENT_ID),
    'detail-type': reqString(doc, 'detail-type', where, { max: 256 }),
    source: reqString(doc, 'source', where, { max: 256 }),
    account: reqString(doc, 'account', where, ACCOUNT_ID),
    time: reqTime(doc, 'time', where),
    region: reqString(doc, 'region', where, REGION),
    resources: resources as readonly string[],
  };
}

type DetailParser = (envelope: Envelope, detail: JsonObject) => AwsEvent;

const DETAIL_PARSERS = new Map<string, DetailParser>();

function register(source: string, detailType: string, parser: DetailParser): void {
  DETAIL_PARSERS.set(`${source}\u0000${detailType}`, parser);
}

// --- aws.ec2 ----------------------------------------------------------------------------------

register('aws.ec2', 'EC2 Instance State-change Notification', (e, d) => ({
  ...e,
  source: 'aws.ec2',
  'detail-type': 'EC2 Instance State-change Notification',
  kind: 'ec2_instance_state_change',
  detail: {
    'instance-id': reqString(d, 'instance-id', 'detail', INSTANCE_ID),
    state: oneOf(d, 'state', 'detail', [
      'pending',
      'running',
      'stopping',
      'stopped',
      'shutting-down',
      'terminated',
    ]),
  },
}));

register('aws.ec2', 'EC2 Spot Instance Interruption Warning', (e, d) => ({
  ...e,
  source: 'aws.ec2',
  'detail-type': 'EC2 Spot Instance Interruption Warning',
  kind: 'ec2_spot_interruption_warning',
  detail: {
    'instance-id': reqString(d, 'instance-id', 'detail', INSTANCE_ID),
    'instance-action': oneOf(d, 'instance-action', 'detail', ['terminate', 'stop', 'hibernate']),
  },
}));

register('aws.ec2', 'EC2 Instance Rebalance Recommendation', (e, d) => ({
  ...e,
  source: 'aws.ec2',
  'detail-type': 'EC2 Instance Rebalance Recommendation',
  kind: 'ec2_rebalance_recommendation',
  detail: { 'instance-id': reqString(d, 'instance-id', 'detail', INSTANCE_ID) },
}));

// --- aws.autoscaling --------------------------------------------------------------------------

const LIFECYCLE_TRANSITIONS: readonly LifecycleTransition[] = [
  'autoscaling:EC2_INSTANCE_LAUNCHING',
  'autoscaling:EC2_INSTANCE_TERMINATING',
];

export function parseLifecycleActionDetail(d: JsonObject, where: string): AutoScalingLifecycleActionDetail {
  return compact<AutoScalingLifecycleActionDetail>({
    AutoScalingGroupName: reqString(d, 'AutoScalingGroupName', where, NAME),
    EC2InstanceId: reqString(d, 'EC2InstanceId', where, INSTANCE_ID),
    LifecycleTransition: oneOf(d, 'LifecycleTransition', where, LIFECYCLE_TRANSITIONS),
    LifecycleHookName: optString(d, 'LifecycleHookName', where, NAME),
    LifecycleActionToken: optString(d, 'LifecycleActionToken', where, { max: 128 }),
    NotificationMetadata: optString(d, 'NotificationMetadata', where, { min: 0, max: 4000 }),
    Origin: optString(d, 'Origin', where, { max: 64 }),
    Destination: optString(d, 'Destination', where, { max: 64 }),
  });
}

for (const detailType of [
  'EC2 Instance-launch Lifecycle Action',
  'EC2 Instance-terminate Lifecycle Action',
] as const satisfies readonly LifecycleActionDetailType[]) {
  register('aws.autoscaling', detailType, (e, d) => ({
    ...e,
    source: 'aws.autoscaling',
    'detail-type': detailType,
    kind: 'autoscaling_lifecycle_action',
    detail: parseLifecycleActionDetail(d, 'detail'),
  }));
}

/** Empty string allowed: an unsuccessful launch may have no instance. */
const OPTIONAL_INSTANCE_ID = {
  min: 0,
  max: 19,
  pattern: /^(?:i-[0-9a-f]{8}(?:[0-9a-f]{9})?)?$/,
  what: 'an EC2 instance id',
};

export function parseInstanceActivityDetail(d: JsonObject, where: string): AutoScalingInstanceActivityDetail {
  const text = { min: 0, max: MAX_TEXT };
  return compact<AutoScalingInstanceActivityDetail>({
    AutoScalingGroupName: reqString(d, 'AutoScalingGroupName', where, NAME),
    EC2InstanceId: optString(d, 'EC2InstanceId', where, OPTIONAL_INSTANCE_ID) ?? '',
    ActivityId: optString(d, 'ActivityId', where, { max: 128 }),
    StatusCode: optString(d, 'StatusCode', where, { max: 64 }),
    StatusMessage: optString(d, 'StatusMessage', where, text),
    Description: optString(d, 'Description', where, text),
    Cause: optString(d, 'Cause', where, text),
    RequestId: optString(d, 'RequestId', where, { max: 128 }),
    StartTime: optTime(d, 'StartTime', where),
    EndTime: optTime(d, 'EndTime', where),
    Origin: optString(d, 'Origin', where, { max: 64 }),
    Destination: optString(d, 'Destination', where, { max: 64 }),
  });
}

for (const detailType of [
  'EC2 Instance Launch Successful',
  'EC2 Instance Launch Unsuccessful',
  'EC2 Instance Terminate Successful',
  'EC2 Instance Terminate Unsuccessful',
] as const satisfies readonly InstanceActivityDetailType[]) {
  register('aws.autoscaling', detailType, (e, d) => ({
    ...e,
    source: 'aws.autoscaling',
    'detail-type': detailType,
    kind: 'autoscaling_instance_activity',
    detail: parseInstanceActivityDetail(d, 'detail'),
  }));
}

// --- aws.health -------------------------------------------------------------------------------

register('aws.health', 'AWS Health Event', (e, d) => {
  const where = 'detail';
  const entities = optArray(d, 'affectedEntities', where, MAX_AFFECTED_ENTITIES) ?? [];
  const affectedEntities: HealthAffectedEntity[] = [];
  for (let i = 0; i < entities.length; i++) {
    const at = `detail.affectedEntities[${i}]`;
    const entity = asObject(entities[i], at);
    affectedEntities.push(
      compact<HealthAffectedEntity>({
        entityValue: reqString(entity, 'entityValue', at, { max: 2048 }),
        statusCode: optString(entity, 'statusCode', at, { max: 64 }),
        lastUpdatedTime: optString(entity, 'lastUpdatedTime', at, { max: 64 }),
      }),
    );
  }
  const detail = compact<HealthEventDetail>({
    eventArn: reqString(d, 'eventArn', where, ARN),
    service: reqString(d, 'service', where, { max: 128 }),
    eventTypeCode: reqString(d, 'eventTypeCode', where, { max: 256 }),
    eventTypeCategory: reqString(d, 'eventTypeCategory', where, { max: 64 }),
    eventScopeCode: optString(d, 'eventScopeCode', where, { max: 64 }),
    communicationId: optString(d, 'communicationId', where, { max: 256 }),
    startTime: reqTime(d, 'startTime', where, RFC_1123_TIMESTAMP),
    endTime: optTime(d, 'endTime', where, RFC_1123_TIMESTAMP),
    lastUpdatedTime: optTime(d, 'lastUpdatedTime', where, RFC_1123_TIMESTAMP),
    statusCode: optString(d, 'statusCode', where, { max: 64 }),
    eventRegion: optString(d, 'eventRegion', where, REGION_OR_GLOBAL),
    affectedAccount: optString(d, 'affectedAccount', where, ACCOUNT_ID),
    affectedEntities,
  });
  return { ...e, source: 'aws.health', 'detail-type': 'AWS Health Event', kind: 'health', detail };
});

// --- aws.config -------------------------------------------------------------------------------

register('aws.config', 'Config Configuration Item Change', (e, d) => configEvent(e, d));

/** Shared with the SNS form: EventBridge's detail is the Config notification itself. */
export function configEvent(e: Envelope, d: JsonObject): AwsEvent {
  const messageType = reqString(d, 'messageType', 'detail', { max: 128 });
  if (messageType === 'ConfigurationItemChangeNotification') {
    const item = reqObject(d, 'configurationItem', 'detail');
    const detail: ConfigItemChangeDetail = compact<ConfigItemChangeDetail>({
      messageType,
      recordVersion: optString(d, 'recordVersion', 'detail', { max: 16 }),
      notificationCreationTime: reqTime(d, 'notificationCreationTime', 'detail'),
      configurationItem: {
        ...configurationItemIdentity(item, 'detail.configurationItem'),
        configuration: objectOrNull(item, 'configuration', 'detail.configurationItem'),
      },
    });
    return {
      ...e,
      source: 'aws.config',
      'detail-type': 'Config Configuration Item Change',
      kind: 'config_item_change',
      detail,
    };
  }
  if (messageType === 'OversizedConfigurationItemChangeNotification') {
    const where = 'detail.configurationItemSummary';
    const summary = reqObject(d, 'configurationItemSummary', 'detail');
    const s3 = objectOrNull(d, 's3DeliverySummary', 'detail');
    const detail = compact<ConfigOversizedItemChangeDetail>({
      messageType,
      recordVersion: optString(d, 'recordVersion', 'detail', { max: 16 }),
      notificationCreationTime: reqTime(d, 'notificationCreationTime', 'detail'),
      configurationItemSummary: compact({
        ...configurationItemIdentity(summary, where),
        changeType: optString(summary, 'changeType', where, { max: 32 }),
      }),
      s3DeliverySummary:
        s3 === null
          ? undefined
          : {
              s3BucketLocation:
                nullableString(s3, 's3BucketLocation', 'detail.s3DeliverySummary', { max: 2048 }) ?? null,
            },
    });
    return {
      ...e,
      source: 'aws.config',
      'detail-type': 'Config Configuration Item Change',
      kind: 'config_oversized_item_change',
      detail,
    };
  }
  // Compliance changes, snapshot/history deliveries, rule evaluations: not resource changes.
  return { ...e, detail: null, kind: 'unsupported' };
}

function configurationItemIdentity(item: JsonObject, where: string): ConfigurationItemIdentity {
  return compact<ConfigurationItemIdentity>({
    configurationItemVersion: optString(item, 'configurationItemVersion', where, { max: 16 }),
    configurationItemCaptureTime: reqTime(item, 'configurationItemCaptureTime', where),
    configurationItemStatus: reqString(item, 'configurationItemStatus', where, { max: 64 }),
    configurationStateId: optNumber(item, 'configurationStateId', where),
    awsAccountId: reqString(item, 'awsAccountId', where, ACCOUNT_ID),
    awsRegion: reqString(item, 'awsRegion', where, REGION_OR_GLOBAL),
    availabilityZone: nullableString(item, 'availabilityZone', where, { max: 64 }),
    resourceType: reqString(item, 'resourceType', where, {
      max: 256,
      pattern: /^[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+$/,
      what: 'a resource type like AWS::EC2::Instance',
    }),
    resourceId: reqString(item, 'resourceId', where, { max: 2048 }),
    resourceName: nullableString(item, 'resourceName', where, { max: 2048 }),
    ARN: optString(item, 'ARN', where, ARN),
    resourceCreationTime: nullableString(item, 'resourceCreationTime', where, { max: 40 }),
  });
}

// --- CloudTrail -------------------------------------------------------------------------------

for (const source of [
  'aws.ec2',
  'aws.autoscaling',
  'aws.elasticloadbalancing',
] as const satisfies readonly CloudTrailSource[]) {
  register(source, 'AWS API Call via CloudTrail', (e, d) => {
    const where = 'detail';
    const detail = compact<CloudTrailApiCallDetail>({
      eventVersion: optString(d, 'eventVersion', where, { max: 16 }),
      eventTime: reqTime(d, 'eventTime', where),
      eventSource: reqString(d, 'eventSource', where, { max: 128 }),
      eventName: reqString(d, 'eventName', where, {
        max: 128,
        pattern: /^[A-Za-z0-9]+$/,
        what: 'an API action name',
      }),
      awsRegion: reqString(d, 'awsRegion', where, REGION),
      eventID: optString(d, 'eventID', where, { max: 128 }),
      eventType: optString(d, 'eventType', where, { max: 64 }),
      apiVersion: optString(d, 'apiVersion', where, { max: 32 }),
      readOnly: optBoolean(d, 'readOnly', where),
      recipientAccountId: optString(d, 'recipientAccountId', where, ACCOUNT_ID),
      errorCode: optString(d, 'errorCode', where, { max: 256 }),
      errorMessage: optString(d, 'errorMessage', where, { min: 0, max: MAX_TEXT }),
      requestParameters: objectOrNull(d, 'requestParameters', where),
      responseElements: objectOrNull(d, 'responseElements', where),
    });
    return {
      ...e,
      source,
      'detail-type': 'AWS API Call via CloudTrail',
      kind: 'cloudtrail_api_call',
      detail,
    };
  });
}

// --- aws.events -------------------------------------------------------------------------------

register('aws.events', 'Scheduled Event', (e) => ({
  ...e,
  source: 'aws.events',
  'detail-type': 'Scheduled Event',
  kind: 'scheduled_event',
  detail: {},
}));

/** For tests and docs: the (source, detail-type) pairs with a typed detail. */
export function supportedEventTypes(): readonly (readonly [source: string, detailType: string])[] {
  return [...DETAIL_PARSERS.keys()].map((k) => {
    const [source, detailType] = k.split('\u0000');
    return [source, detailType] as const;
  });
}
