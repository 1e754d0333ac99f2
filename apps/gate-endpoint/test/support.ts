import { createSign } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { type SnsMessage, snsStringToSign } from '@event-cache/events';
import { startService } from '@event-cache/platform';
import { type Answer, answerOf, createTestDatabase, type TestDatabase } from '@event-cache/testing';
import { service } from '../src/service';

/** libs/events' fixtures, read from disk (nothing test-only is imported across projects). */
export const FIXTURES = join(__dirname, '..', '..', '..', 'libs', 'events', 'src', '__fixtures__');
export const TEST_CERT_PATH = join(FIXTURES, 'sns', 'test-signing.cert.pem');
const TEST_KEY = readFileSync(join(FIXTURES, 'sns', 'test-signing.key.pem'), 'utf8');

export const TOPIC = 'arn:aws:sns:us-east-1:123456789012:event-cache';
export const CERT_URL =
  'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000000000test.pem';
export const API_KEY = 'test-api-key-0123456789';
export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export const BASE_CONFIG = `
accounts:
  - name: prod
    accountId: "123456789012"
    regions: [{ name: us-east-1 }, { name: us-west-2 }]
sns:
  topicArns: [${TOPIC}]
  trustedCertificates: { "${CERT_URL}": "${TEST_CERT_PATH}" }
  maxMessageAgeSeconds: 3600
events:
  apiKey: ${API_KEY}
admin:
  token: ${ADMIN_TOKEN}
`;

export function writeConfig(yaml: string = BASE_CONFIG): string {
  const path = join(mkdtempSync(join(tmpdir(), 'gate-endpoint-e2e-')), 'config.yaml');
  writeFileSync(path, yaml);
  return path;
}

/** gate-endpoint booted on a fresh test database with `yaml` as its configuration; `close` undoes both. */
export async function startGateEndpoint(
  yaml: string = BASE_CONFIG,
): Promise<{ db: TestDatabase; app: INestApplication; baseUrl: string; close: () => Promise<void> }> {
  const db = await createTestDatabase();
  const app = await startService(service, {
    DATABASE_URL: db.url,
    EVENT_CACHE_CONFIG: writeConfig(yaml),
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
  });
  const close = async () => {
    await app.close();
    await db.drop();
  };
  return { db, app, baseUrl: await app.getUrl(), close };
}

export function fixture(relativePath: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, relativePath), 'utf8')) as Record<string, unknown>;
}

/** An EventBridge fixture with a fresh id (and any field replaced). */
export function event(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...fixture(`eventbridge/${name}`), id: crypto.randomUUID(), ...overrides };
}

type SnsType = SnsMessage['Type'];

/** An SNS HTTP message signed the way AWS signs it, with the committed test key. */
export function signedSns(
  fields: Partial<Record<string, string>> & { Type?: SnsType } = {},
  options: { tamper?: (m: Record<string, string>) => void } = {},
): Record<string, string> {
  const type = fields.Type ?? 'Notification';
  const base: Record<string, string> = {
    Type: type,
    MessageId: crypto.randomUUID(),
    TopicArn: TOPIC,
    Message: '{}',
    Timestamp: new Date().toISOString(),
    SignatureVersion: '2',
    SigningCertURL: CERT_URL,
    ...(type === 'Notification'
      ? {
          UnsubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${TOPIC}:1`,
        }
      : {
          Token: 'a1b2c3',
          SubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${TOPIC}&Token=a1b2c3`,
        }),
  };
  const message = { ...base, ...fields } as Record<string, string>;
  const algorithm = message.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256';
  message.Signature = createSign(algorithm)
    .update(snsStringToSign(message as unknown as SnsMessage), 'utf8')
    .sign(TEST_KEY, 'base64');
  options.tamper?.(message);
  return message;
}

export { type Answer, eventually } from '@event-cache/testing';

/** One HTTP call to the service under test; the body is JSON-encoded unless it is a string. */
export function call(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return answerOf(baseUrl, method, path, { body, headers });
}
