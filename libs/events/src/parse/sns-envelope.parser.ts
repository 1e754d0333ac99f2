import { type JsonObject } from '../json/json.model';
import { SNS_MESSAGE_TYPES, type SnsMessage, type SnsMessageType } from '../model/sns.model';
import {
  EVENT_ID,
  ISO_TIMESTAMP,
  type StringRule,
  fail,
  nullableString,
  oneOf,
  optString,
  own,
  reqString,
  reqTime,
} from './schema.util';

export const TOPIC_ARN: StringRule = {
  max: 2048,
  pattern: /^arn:aws[a-z-]*:sns:[a-z]{2}(?:-[a-z]+)+-\d{1,2}:\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$/,
  what: 'an SNS topic ARN',
};
const MESSAGE: StringRule = { min: 0, max: Number.MAX_SAFE_INTEGER };
const URL_RULE: StringRule = { max: 2048 };

/** Cheap shape test used to route an SQS body: SNS envelopes always carry these two fields. */
export function looksLikeSnsEnvelope(doc: JsonObject): boolean {
  return typeof own(doc, 'Type') === 'string' && typeof own(doc, 'TopicArn') === 'string';
}

/**
 * A complete SNS HTTP(S) message: every field signature verification needs must be present and a
 * string. `expectedType` is the `x-amz-sns-message-type` header: when given it must match `Type`.
 * Throws SchemaError.
 */
export function parseSnsHttpMessage(doc: JsonObject, expectedType?: string): SnsMessage {
  const where = 'sns';
  const type = oneOf<SnsMessageType>(doc, 'Type', where, SNS_MESSAGE_TYPES);
  if (expectedType !== undefined && expectedType !== type) {
    fail('x-amz-sns-message-type', `the header to match the body Type`);
  }
  const base = {
    MessageId: reqString(doc, 'MessageId', where, EVENT_ID),
    TopicArn: reqString(doc, 'TopicArn', where, TOPIC_ARN),
    Message: reqString(doc, 'Message', where, MESSAGE),
    Timestamp: reqTime(doc, 'Timestamp', where, ISO_TIMESTAMP),
    SignatureVersion: reqString(doc, 'SignatureVersion', where, { max: 8 }),
    Signature: reqString(doc, 'Signature', where, { max: 4096 }),
    SigningCertURL: reqString(doc, 'SigningCertURL', where, URL_RULE),
  };
  if (type === 'Notification') {
    const subject = nullableString(doc, 'Subject', where, { min: 0, max: 1024 });
    const unsubscribeUrl = optString(doc, 'UnsubscribeURL', where, URL_RULE);
    return {
      Type: type,
      ...base,
      ...(subject === undefined || subject === null ? {} : { Subject: subject }),
      ...(unsubscribeUrl === undefined ? {} : { UnsubscribeURL: unsubscribeUrl }),
    };
  }
  return {
    Type: type,
    ...base,
    Token: reqString(doc, 'Token', where, { max: 4096 }),
    SubscribeURL: reqString(doc, 'SubscribeURL', where, URL_RULE),
  };
}

/** The parts of an SNS envelope an SQS consumer needs (SQS is an authenticated channel: no signature check). */
export interface SnsEnvelopeInSqs {
  readonly Type: SnsMessageType;
  readonly MessageId: string;
  readonly TopicArn: string;
  readonly Message: string;
  readonly Timestamp: string;
}

export function parseSnsEnvelopeInSqs(doc: JsonObject): SnsEnvelopeInSqs {
  const where = 'sns';
  return {
    Type: oneOf<SnsMessageType>(doc, 'Type', where, SNS_MESSAGE_TYPES),
    MessageId: reqString(doc, 'MessageId', where, EVENT_ID),
    TopicArn: reqString(doc, 'TopicArn', where, TOPIC_ARN),
    Message: reqString(doc, 'Message', where, MESSAGE),
    Timestamp: reqTime(doc, 'Timestamp', where, ISO_TIMESTAMP),
  };
}
