// Corpus for events.bench.ts: the AWS-shaped fixtures of libs/events (read from disk, so nothing
// test-only is imported across project boundaries), with fresh ids, and SNS bodies signed with the
// committed test key the way AWS signs them.
import { createSign } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type SnsNotification, snsStringToSign } from '@event-cache/events';

function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'nx.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('events bench: cannot find the workspace root (nx.json)');
    dir = parent;
  }
  return dir;
}

export const EVENTS_FIXTURES_DIR = join(repoRoot(), 'libs', 'events', 'src', '__fixtures__');

export function eventsFixtureText(relativePath: string): string {
  return readFileSync(join(EVENTS_FIXTURES_DIR, relativePath), 'utf8');
}

export const BENCH_TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:event-cache';
export const BENCH_CERT_URL =
  'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000000000bench.pem';

export function benchCertificatePem(): string {
  return eventsFixtureText('sns/test-signing.cert.pem');
}

let privateKey: string | undefined;

/** A signed SNS HTTP Notification body carrying `message`. */
export function signedSnsNotification(
  messageId: string,
  message: string,
  signatureVersion: '1' | '2' = '2',
): string {
  privateKey ??= eventsFixtureText('sns/test-signing.key.pem');
  const unsigned: SnsNotification = {
    Type: 'Notification',
    MessageId: messageId,
    TopicArn: BENCH_TOPIC_ARN,
    Message: message,
    Timestamp: new Date().toISOString(),
    SignatureVersion: signatureVersion,
    Signature: '',
    SigningCertURL: BENCH_CERT_URL,
    UnsubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${BENCH_TOPIC_ARN}:bench`,
  };
  const signature = createSign(signatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256')
    .update(snsStringToSign(unsigned), 'utf8')
    .sign(privateKey, 'base64');
  return JSON.stringify({ ...unsigned, Signature: signature });
}

/** An SNS Notification envelope as SQS receives it (no raw delivery; SQS does not verify it). */
export function snsEnvelopeForSqs(messageId: string, message: unknown): string {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: messageId,
    TopicArn: BENCH_TOPIC_ARN,
    Message: typeof message === 'string' ? message : JSON.stringify(message),
    Timestamp: new Date().toISOString(),
    SignatureVersion: '1',
    Signature: 'RXhhbXBsZQ==',
    SigningCertURL: BENCH_CERT_URL,
  });
}
