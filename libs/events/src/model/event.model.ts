import { type JsonObject } from '../json/json.model';

/**
 * The EventBridge envelope, field for field as AWS sends it. Every event the library produces has
 * this shape plus a `kind` discriminator (added by the parser, not part of AWS's JSON). Events that
 * reach us in another format (AWS Config or Auto Scaling notifications) are normalized into it:
 * AWS Config and Auto Scaling put the very same document in an EventBridge event's `detail`.
 */
export interface EventBridgeEvent<
  TDetailType extends string = string,
  TDetail = unknown,
  TSource extends string = string,
> {
  readonly version: string;
  /** Unique per event; the inbox key. For SNS-delivered notifications, the SNS `MessageId`. */
  readonly id: string;
  readonly 'detail-type': TDetailType;
  readonly source: TSource;
  /** 12-digit AWS account id. */
  readonly account: string;
  /** ISO 8601. */
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: TDetail;
}

interface Kinded<K extends string> {
  readonly kind: K;
}

// ---------------------------------------------------------------------------------------------
// aws.ec2

export type Ec2InstanceState =
  'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

export interface Ec2InstanceStateChangeDetail {
  readonly 'instance-id': string;
  readonly state: Ec2InstanceState;
}

export interface Ec2InstanceStateChangeEvent
  extends
    EventBridgeEvent<'EC2 Instance State-change Notification', Ec2InstanceStateChangeDetail, 'aws.ec2'>,
    Kinded<'ec2_instance_state_change'> {}

export interface Ec2SpotInterruptionWarningDetail {
  readonly 'instance-id': string;
  readonly 'instance-action': 'terminate' | 'stop' | 'hibernate';
}

/** Note: this event's `resources` ARN carries an availability zone where a region would be. */
export interface Ec2SpotInterruptionWarningEvent
  extends
    EventBridgeEvent<'EC2 Spot Instance Interruption Warning', Ec2SpotInterruptionWarningDetail, 'aws.ec2'>,
    Kinded<'ec2_spot_interruption_warning'> {}

export interface Ec2RebalanceRecommendationDetail {
  readonly 'instance-id': string;
}

export interface Ec2RebalanceRecommendationEvent
  extends
    EventBridgeEvent<'EC2 Instance Rebalance Recommendation', Ec2RebalanceRecommendationDetail, 'aws.ec2'>,
    Kinded<'ec2_rebalance_recommendation'> {}

// ---------------------------------------------------------------------------------------------
// aws.autoscaling

export type LifecycleTransition =
  'autoscaling:EC2_INSTANCE_LAUNCHING' | 'autoscaling:EC2_INSTANCE_TERMINATING';

export interface AutoScalingLifecycleActionDetail {
  readonly AutoScalingGroupName: string;
  readonly EC2InstanceId: string;
  readonly LifecycleTransition: LifecycleTransition;
  readonly LifecycleHookName?: string;
  readonly LifecycleActionToken?: string;
  readonly NotificationMetadata?: string;
  readonly Origin?: string;
  readonly Destination?: string;
}

export type LifecycleActionDetailType =
  'EC2 Instance-launch Lifecycle Action' | 'EC2 Instance-terminate Lifecycle Action';

/** A lifecycle hook put an instance in a wait state. We never complete the action: it is a hint. */
export interface AutoScalingLifecycleActionEvent
  extends
    EventBridgeEvent<LifecycleActionDetailType, AutoScalingLifecycleActionDetail, 'aws.autoscaling'>,
    Kinded<'autoscaling_lifecycle_action'> {}

export interface AutoScalingInstanceActivityDetail {
  readonly AutoScalingGroupName: string;
  /** Empty when a launch failed before an instance existed. */
  readonly EC2InstanceId: string;
  readonly ActivityId?: string;
  readonly StatusCode?: string;
  readonly StatusMessage?: string;
  readonly Description?: string;
  readonly Cause?: string;
  readonly RequestId?: string;
  readonly StartTime?: string;
  readonly EndTime?: string;
  readonly Origin?: string;
  readonly Destination?: string;
}

export type InstanceActivityDetailType =
  | 'EC2 Instance Launch Successful'
  | 'EC2 Instance Launch Unsuccessful'
  | 'EC2 Instance Terminate Successful'
  | 'EC2 Instance Terminate Unsuccessful';

export interface AutoScalingInstanceActivityEvent
  extends
    EventBridgeEvent<InstanceActivityDetailType, AutoScalingInstanceActivityDetail, 'aws.autoscaling'>,
    Kinded<'autoscaling_instance_activity'> {}

export interface AutoScalingTestNotificationDetail {
  readonly AutoScalingGroupName?: string;
  readonly AutoScalingGroupARN?: string;
  readonly RequestId?: string;
}

/**
 * `autoscaling:TEST_NOTIFICATION`, sent when a notification target is configured. Not an
 * EventBridge event type: normalized from the Auto Scaling notification so it can be acknowledged
 * (and recorded) like any other message.
 */
export interface AutoScalingTestNotificationEvent
  extends
    EventBridgeEvent<'autoscaling:TEST_NOTIFICATION', AutoScalingTestNotificationDetail, 'aws.autoscaling'>,
    Kinded<'autoscaling_test_notification'> {}

// ---------------------------------------------------------------------------------------------
// aws.health

export interface HealthAffectedEntity {
  readonly entityValue: string;
  readonly statusCode?: string;
  readonly lastUpdatedTime?: string;
}

export interface HealthEventDetail {
  readonly eventArn: string;
  /** `EC2`, `AUTOSCALING`, `ELASTICLOADBALANCING`, ... */
  readonly service: string;
  readonly eventTypeCode: string;
  /** `issue`, `scheduledChange`, `accountNotification`, `investigation`. */
  readonly eventTypeCategory: string;
  readonly eventScopeCode?: string;
  readonly communicationId?: string;
  /** RFC 1123, e.g. `Fri, 27 Jan 2023 06:02:51 GMT`. */
  readonly startTime: string;
  readonly endTime?: string;
  readonly lastUpdatedTime?: string;
  /** `open`, `closed`, `upcoming`. */
  readonly statusCode?: string;
  /** The region the event is about (the envelope region is where it was delivered). */
  readonly eventRegion?: string;
  /** With an organizational view: the affected member account. */
  readonly affectedAccount?: string;
  readonly affectedEntities: readonly HealthAffectedEntity[];
}

export interface HealthEvent
  extends EventBridgeEvent<'AWS Health Event', HealthEventDetail, 'aws.health'>, Kinded<'health'> {}

// ---------------------------------------------------------------------------------------------
// aws.config

/** Identifying fields of a configuration item, shared by the full item and the oversized summary. */
export interface ConfigurationItemIdentity {
  readonly configurationItemVersion?: string;
  readonly configurationItemCaptureTime: string;
  /** `OK`, `ResourceDiscovered`, `ResourceNotRecorded`, `ResourceDeleted`, `ResourceDeletedNotRecorded`. */
  readonly configurationItemStatus: string;
  readonly configurationStateId?: number;
  readonly awsAccountId: string;
  readonly awsRegion: string;
  readonly availabilityZone?: string | null;
  /** `AWS::EC2::Instance`, `AWS::AutoScaling::AutoScalingGroup`, ... */
  readonly resourceType: string;
  readonly resourceId: string;
  readonly resourceName?: string | null;
  readonly ARN?: string;
  readonly resourceCreationTime?: string | null;
}

export interface ConfigurationItem extends ConfigurationItemIdentity {
  /** The resource's configuration as Config recorded it (used only for identifiers such as `vpcId`). */
  readonly configuration: JsonObject | null;
}

export interface ConfigurationItemSummary extends ConfigurationItemIdentity {
  /** `CREATE`, `UPDATE`, `DELETE`. */
  readonly changeType?: string;
}

export interface ConfigItemChangeDetail {
  readonly messageType: 'ConfigurationItemChangeNotification';
  readonly recordVersion?: string;
  readonly notificationCreationTime: string;
  readonly configurationItem: ConfigurationItem;
}

export interface ConfigOversizedItemChangeDetail {
  readonly messageType: 'OversizedConfigurationItemChangeNotification';
  readonly recordVersion?: string;
  readonly notificationCreationTime: string;
  readonly configurationItemSummary: ConfigurationItemSummary;
  /** Where the full item was written. Never fetched: the summary names the resource, which is enough. */
  readonly s3DeliverySummary?: { readonly s3BucketLocation: string | null };
}

export interface ConfigItemChangeEvent
  extends
    EventBridgeEvent<'Config Configuration Item Change', ConfigItemChangeDetail, 'aws.config'>,
    Kinded<'config_item_change'> {}

export interface ConfigOversizedItemChangeEvent
  extends
    EventBridgeEvent<'Config Configuration Item Change', ConfigOversizedItemChangeDetail, 'aws.config'>,
    Kinded<'config_oversized_item_change'> {}

// ---------------------------------------------------------------------------------------------
// CloudTrail

export type CloudTrailSource = 'aws.ec2' | 'aws.autoscaling' | 'aws.elasticloadbalancing';

export interface CloudTrailApiCallDetail {
  readonly eventVersion?: string;
  readonly eventTime: string;
  /** `ec2.amazonaws.com`, `autoscaling.amazonaws.com`, `elasticloadbalancing.amazonaws.com`. */
  readonly eventSource: string;
  /** The API action, e.g. `RunInstances`. */
  readonly eventName: string;
  readonly awsRegion: string;
  readonly eventID?: string;
  readonly eventType?: string;
  /** ELB: `2012-06-01` for classic load balancers, `2015-12-01` for ELBv2. */
  readonly apiVersion?: string;
  readonly readOnly?: boolean;
  readonly recipientAccountId?: string;
  /** Present when the call failed: it changed nothing. */
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly requestParameters: JsonObject | null;
  readonly responseElements: JsonObject | null;
}

export interface CloudTrailApiCallEvent
  extends
    EventBridgeEvent<'AWS API Call via CloudTrail', CloudTrailApiCallDetail, CloudTrailSource>,
    Kinded<'cloudtrail_api_call'> {}

// ---------------------------------------------------------------------------------------------
// aws.events

/** Our heartbeat rule. `resources` holds the rule ARN; the detail is empty. */
export interface ScheduledEvent
  extends
    EventBridgeEvent<'Scheduled Event', Readonly<Record<string, never>>, 'aws.events'>,
    Kinded<'scheduled_event'> {}

// ---------------------------------------------------------------------------------------------

/**
 * A well-formed envelope whose source / detail-type we do not act on. Its detail is not carried
 * (it was never validated); the envelope is enough to record and count it.
 */
export interface UnsupportedEvent extends EventBridgeEvent<string, null>, Kinded<'unsupported'> {}

export type SupportedEvent =
  | Ec2InstanceStateChangeEvent
  | Ec2SpotInterruptionWarningEvent
  | Ec2RebalanceRecommendationEvent
  | AutoScalingLifecycleActionEvent
  | AutoScalingInstanceActivityEvent
  | HealthEvent
  | ConfigItemChangeEvent
  | ConfigOversizedItemChangeEvent
  | CloudTrailApiCallEvent
  | ScheduledEvent;

/** Everything a parser can hand to `decide()`. Discriminate on `kind`. */
export type AwsEvent = SupportedEvent | AutoScalingTestNotificationEvent | UnsupportedEvent;

export type AwsEventKind = AwsEvent['kind'];

/** The document format the event arrived in (before normalization). */
export type EventFormat = 'eventbridge' | 'config_notification' | 'autoscaling_notification';

/** What the SQS, SNS and API-destination entry points produce. */
export interface IngestedEvent {
  readonly event: AwsEvent;
  readonly format: EventFormat;
  /** Present when the event arrived wrapped in an SNS notification. */
  readonly sns?: { readonly messageId: string; readonly topicArn: string };
}
