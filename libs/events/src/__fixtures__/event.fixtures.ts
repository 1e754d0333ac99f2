import { createSign } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/*
 * Test helpers: AWS-documentation-shaped fixtures (JSON files next to this module)
 * and SNS signing with a committed test key and certificates issued to it by a test CA (valid
 * 2000-2125, used by nothing but tests; `sns/make-test-certificates.sh` made them). Not exported
 * from the library's index.
 */

/** This folder (tests run from the source tree; the benchmark reads these files itself). */
export const FIXTURES_DIR: string = __dirname;

export function fixtureText(relativePath: string): string {
  return readFileSync(join(FIXTURES_DIR, relativePath), 'utf8');
}

export function fixtureJson(relativePath: string): Record<string, unknown> {
  return JSON.parse(fixtureText(relativePath)) as Record<string, unknown>;
}

/** Every fixture file in a folder (`eventbridge`, `notifications`, `sqs`), by file name. */
export function fixtureFiles(folder: string): string[] {
  return readdirSync(join(FIXTURES_DIR, folder))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => `${folder}/${f}`);
}

export const TEST_ACCOUNT_ID = '123456789012';
export const TEST_TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:event-cache';
export const TEST_CERT_URL =
  'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000000000test.pem';

/**
 * A test certificate of `sns/` (default: the leaf issued to `sns.amazonaws.com` by the test
 * intermediate CA, holding the key of `testPrivateKeyPem()`).
 */
export function testCertificatePem(name = 'test-signing'): string {
  return fixtureText(`sns/${name}.cert.pem`);
}

export function testPrivateKeyPem(): string {
  return fixtureText('sns/test-signing.key.pem');
}

type SnsType = 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';

export interface SnsFields {
  Type?: SnsType;
  MessageId?: string;
  TopicArn?: string;
  Subject?: string;
  Message?: string;
  Timestamp?: string;
  SignatureVersion?: string;
  SigningCertURL?: string;
  SubscribeURL?: string;
  Token?: string;
  UnsubscribeURL?: string;
}

/** Field order of the string to sign, transcribed from the AWS SNS documentation. */
const SIGNED_FIELDS: Record<SnsType, readonly (keyof SnsFields)[]> = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  SubscriptionConfirmation: [
    'Message',
    'MessageId',
    'SubscribeURL',
    'Timestamp',
    'Token',
    'TopicArn',
    'Type',
  ],
  UnsubscribeConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
};

/**
 * An SNS HTTP body signed like AWS signs it (version 1 = SHA1withRSA, 2 = SHA256withRSA), with the
 * test key unless another PEM key is given. Fields not given get realistic defaults.
 */
export function signedSnsMessage(
  fields: SnsFields = {},
  privateKeyPem: string = testPrivateKeyPem(),
): Record<string, string> {
  const type = fields.Type ?? 'Notification';
  const message: Record<string, string> = {
    Type: type,
    MessageId: fields.MessageId ?? '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
    TopicArn: fields.TopicArn ?? TEST_TOPIC_ARN,
    Message: fields.Message ?? '{}',
    Timestamp: fields.Timestamp ?? '2024-05-01T12:00:00.000Z',
    SignatureVersion: fields.SignatureVersion ?? '2',
    SigningCertURL: fields.SigningCertURL ?? TEST_CERT_URL,
  };
  if (fields.Subject !== undefined) message.Subject = fields.Subject;
  if (type === 'Notification') {
    message.UnsubscribeURL =
      fields.UnsubscribeURL ??
      `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${message.TopicArn}:0f7c3d8e`;
  } else {
    message.Token =
      fields.Token ??
      '2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736';
    message.SubscribeURL =
      fields.SubscribeURL ??
      `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${message.TopicArn}&Token=${message.Token}`;
  }
  let toSign = '';
  for (const name of SIGNED_FIELDS[type]) {
    const value = message[name];
    if (value !== undefined) toSign += `${name}\n${value}\n`;
  }
  const algorithm = message.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256';
  message.Signature = createSign(algorithm).update(toSign, 'utf8').sign(privateKeyPem, 'base64');
  return message;
}

/** An SNS Notification envelope as SQS receives it (unsigned: that channel does not verify). */
export function snsEnvelopeForSqs(
  message: unknown,
  overrides: Partial<Record<string, unknown>> = {},
): Record<string, unknown> {
  return {
    Type: 'Notification',
    MessageId: 'f6e1f6b6-6d3c-5f0e-9b0e-7d2b0b0c1a11',
    TopicArn: TEST_TOPIC_ARN,
    Message: typeof message === 'string' ? message : JSON.stringify(message),
    Timestamp: '2024-05-01T12:00:00.000Z',
    SignatureVersion: '1',
    Signature: 'RXhhbXBsZQ==',
    SigningCertURL: TEST_CERT_URL,
    ...overrides,
  };
}
