import { type JsonObject, isJsonObject } from '../json/json.model';
import { type SafeJsonOptions, parseJsonSafely } from '../json/safe-json.parser';
import { parseArn } from '../model/arn.util';
import { type AwsEvent, type EventFormat, type IngestedEvent } from '../model/event.model';
import { type SnsMessage, type SnsNotification } from '../model/sns.model';
import { type ParseResult, accepted, rejected } from '../result.model';
import { parseEventBridgeEvent } from './eventbridge.parser';
import {
  type NotificationOrigin,
  isAutoScalingNotification,
  isConfigNotification,
  parseAutoScalingNotification,
  parseConfigNotification,
} from './notification.parser';
import { EVENT_ID, SchemaError, own } from './schema.util';
import { looksLikeSnsEnvelope, parseSnsEnvelopeInSqs, parseSnsHttpMessage } from './sns-envelope.parser';

/*
 * The three ingestion channels. Each takes the raw body (string or bytes), never throws for bad
 * input, and returns either the typed result or a reason-coded rejection (docs/architecture.md#bad-input-and-faults).
 */

export type IngestOptions = SafeJsonOptions;

export interface SqsIngestOptions extends IngestOptions {
  /**
   * The queue's region. Auto Scaling lifecycle-hook messages sent straight to SQS do not name
   * their region (the queue must be in the Auto Scaling group's region), so it is taken from here.
   */
  readonly region?: string;
  /** The SQS `MessageId`: the event id for raw deliveries that carry no id of their own. */
  readonly messageId?: string;
  /**
   * When set, SNS-wrapped messages from topics not listed here are refused (`untrusted_topic`).
   * SQS itself is authenticated (IAM), so SNS signatures are not checked on this channel.
   */
  readonly snsTopicArns?: ReadonlySet<string> | readonly string[];
}

/**
 * An SQS message body: an EventBridge event (rule target), an SNS notification envelope (queue
 * subscribed to a topic without raw delivery) carrying an EventBridge event, an AWS Config or an
 * Auto Scaling notification, or an Auto Scaling notification sent to the queue directly (incl.
 * `autoscaling:TEST_NOTIFICATION`, which parses to an `autoscaling_test_notification` event: acknowledge it).
 */
export function parseSqsMessageBody(
  body: string | Uint8Array,
  options: SqsIngestOptions = {},
): ParseResult<IngestedEvent> {
  const parsed = parseDocument(body, options);
  if (!parsed.ok) return parsed;
  const doc = parsed.value;
  return guard(readableId(doc), () => {
    if (looksLikeSnsEnvelope(doc)) {
      const envelope = parseSnsEnvelopeInSqs(doc);
      if (envelope.Type !== 'Notification') {
        return rejected(
          'unsupported_event',
          `SNS ${envelope.Type} delivered to SQS: confirm cross-account subscriptions out of band`,
          envelope.MessageId,
        );
      }
      if (options.snsTopicArns !== undefined && !includes(options.snsTopicArns, envelope.TopicArn)) {
        return rejected('untrusted_topic', 'SNS TopicArn is not in the allowlist', envelope.MessageId);
      }
      return parseSnsPayload(envelope, options);
    }
    const origin: NotificationOrigin = { fallbackId: options.messageId, region: options.region };
    if (isAutoScalingNotification(doc))
      return ingest(parseAutoScalingNotification(doc, origin), 'autoscaling_notification');
    if (isConfigNotification(doc)) return ingest(parseConfigNotification(doc, origin), 'config_notification');
    return ingest(parseEventBridgeEvent(doc), 'eventbridge');
  });
}

/** An EventBridge API-destination POST body: exactly one EventBridge event. */
export function parseApiDestinationBody(
  body: string | Uint8Array,
  options: IngestOptions = {},
): ParseResult<IngestedEvent> {
  const parsed = parseDocument(body, options);
  if (!parsed.ok) return parsed;
  const doc = parsed.value;
  return guard(readableId(doc), () => ingest(parseEventBridgeEvent(doc), 'eventbridge'));
}

export interface SnsHttpIngestOptions extends IngestOptions {
  /** The `x-amz-sns-message-type` request header; when given it must equal the body's `Type`. */
  readonly messageType?: string;
}

/**
 * An SNS HTTP(S) POST body (sent as text/plain). Returns the validated envelope, which must then go
 * through `SnsVerifier.verify` before anything is acted on; a verified Notification's payload is
 * read with `parseSnsNotificationMessage`.
 */
export function parseSnsHttpBody(
  body: string | Uint8Array,
  options: SnsHttpIngestOptions = {},
): ParseResult<SnsMessage> {
  const parsed = parseDocument(body, options);
  if (!parsed.ok) return parsed;
  const doc = parsed.value;
  return guard(readableId(doc), () => accepted(parseSnsHttpMessage(doc, options.messageType)));
}

/**
 * The payload of an SNS Notification (its `Message`, a JSON string): an AWS Config notification,
 * an Auto Scaling notification, or an EventBridge event. Its id is the EventBridge `id` when there
 * is one, the SNS `MessageId` otherwise.
 */
export function parseSnsNotificationMessage(
  notification: Pick<SnsNotification, 'MessageId' | 'TopicArn' | 'Message' | 'Timestamp'>,
  options: IngestOptions = {},
): ParseResult<IngestedEvent> {
  return guard(notification.MessageId, () => parseSnsPayload(notification, options));
}

// --- internals --------------------------------------------------------------------------------

function parseSnsPayload(
  sns: Pick<SnsNotification, 'MessageId' | 'TopicArn' | 'Message' | 'Timestamp'>,
  options: IngestOptions,
): ParseResult<IngestedEvent> {
  const text = sns.Message;
  let i = 0;
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t'))
    i++;
  if (text[i] !== '{')
    return rejected('unsupported_event', 'SNS Message is not a JSON object', sns.MessageId);
  const parsed = parseDocument(text, options);
  if (!parsed.ok) return { ...parsed, eventId: sns.MessageId };
  const doc = parsed.value;
  const topic = parseArn(sns.TopicArn);
  const origin: NotificationOrigin = {
    messageId: sns.MessageId,
    region: topic?.region,
    account: topic?.account,
    time: sns.Timestamp,
  };
  const wrapped = { messageId: sns.MessageId, topicArn: sns.TopicArn };
  let event: AwsEvent;
  let format: EventFormat;
  if (isConfigNotification(doc)) {
    event = parseConfigNotification(doc, origin);
    format = 'config_notification';
  } else if (isAutoScalingNotification(doc)) {
    event = parseAutoScalingNotification(doc, origin);
    format = 'autoscaling_notification';
  } else {
    event = parseEventBridgeEvent(doc);
    format = 'eventbridge';
  }
  return accepted({ event, format, sns: wrapped });
}

function parseDocument(body: string | Uint8Array, options: SafeJsonOptions): ParseResult<JsonObject> {
  const parsed = parseJsonSafely(body, options);
  if (!parsed.ok) return parsed;
  if (!isJsonObject(parsed.value)) return rejected('schema_violation', 'body: expected a JSON object');
  return accepted(parsed.value);
}

function ingest(event: AwsEvent, format: EventFormat): ParseResult<IngestedEvent> {
  return accepted({ event, format });
}

/** Runs a parser, turning SchemaError into a `schema_violation` rejection; real bugs propagate. */
function guard<T>(eventId: string | undefined, run: () => ParseResult<T>): ParseResult<T> {
  try {
    return run();
  } catch (error) {
    if (error instanceof SchemaError) return rejected('schema_violation', error.message, eventId);
    throw error;
  }
}

/** The id to quote in a rejection, if the document has a plausible one. */
const ID_FIELDS = ['id', 'MessageId', 'RequestId'] as const;

function readableId(doc: JsonObject): string | undefined {
  for (const key of ID_FIELDS) {
    const value = own(doc, key);
    if (typeof value === 'string' && value.length <= EVENT_ID.max! && EVENT_ID.pattern!.test(value))
      return value;
  }
  return undefined;
}

function includes(list: ReadonlySet<string> | readonly string[], value: string): boolean {
  return list instanceof Set ? list.has(value) : (list as readonly string[]).includes(value);
}
