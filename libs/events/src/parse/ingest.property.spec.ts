import {
  TEST_TOPIC_ARN,
  fixtureFiles,
  fixtureJson,
  signedSnsMessage,
  snsEnvelopeForSqs,
  testCertificatePem,
} from '../__fixtures__/event.fixtures';
import { AccountDirectory } from '../decide/account.directory';
import { decide } from '../decide/decision.engine';
import { type DecisionContext } from '../decide/decision.model';
import { parseCacheKey } from '../keys/cache-key.parser';
import { type IngestedEvent } from '../model/event.model';
import { type ParseResult, REJECT_REASONS } from '../result.model';
import { SnsVerifier } from '../sns/sns.verifier';
import {
  parseApiDestinationBody,
  parseSnsHttpBody,
  parseSnsNotificationMessage,
  parseSqsMessageBody,
} from './ingest.parser';

/*
 * Property-style tests: thousands of generated inputs (seeded, so failures reproduce) through every
 * entry point. Properties: nothing throws, every result is a well-formed acceptance or rejection,
 * accepted events decide without throwing into well-formed keys, and Object.prototype is never touched.
 */

/** mulberry32: small, fast, deterministic. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)];
  return { next, int, pick };
}
type Rng = ReturnType<typeof rng>;

const KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'id',
  'version',
  'detail',
  'detail-type',
  'source',
  'account',
  'region',
  'time',
  'resources',
  'instance-id',
  'state',
  'Type',
  'TopicArn',
  'MessageId',
  'Message',
  'Service',
  'Event',
  'messageType',
  'configurationItem',
  'eventName',
  'requestParameters',
  'instancesSet',
  'items',
  'instanceId',
  'autoScalingGroupName',
  'AutoScalingGroupName',
  'x',
  '',
];
const STRINGS = [
  '',
  'aws.ec2',
  'aws.autoscaling',
  'aws.config',
  'aws.health',
  'aws.events',
  'EC2 Instance State-change Notification',
  'AWS API Call via CloudTrail',
  'Scheduled Event',
  'Notification',
  'AWS Auto Scaling',
  'autoscaling:TEST_NOTIFICATION',
  'ConfigurationItemChangeNotification',
  '123456789012',
  'us-east-1',
  '2024-05-01T12:00:00Z',
  'i-1234567890abcdef0',
  'i-1234:evil',
  'orders-api-prod-v042',
  '__proto__',
  '\u0000',
  '\ud800',
  'é✓',
  '{"__proto__":{"polluted":1}}',
  TEST_TOPIC_ARN,
];

function randomValue(r: Rng, depth: number): unknown {
  switch (depth <= 0 ? r.int(5) : r.int(8)) {
    case 0:
      return r.pick(STRINGS);
    case 1:
      return r.pick([0, -1, 1.5, 1e308, 123456789012, Number.MAX_SAFE_INTEGER]);
    case 2:
      return r.pick([true, false, null]);
    case 3:
      return String.fromCharCode(...Array.from({ length: r.int(12) }, () => r.int(0x3000)));
    case 4:
      return r.pick(STRINGS) + r.int(1000);
    case 5:
    case 6:
      return randomObject(r, depth - 1);
    default:
      return Array.from({ length: r.int(4) }, () => randomValue(r, depth - 1));
  }
}

/** Objects that may have own `__proto__` keys (defineProperty avoids the setter). */
function randomObject(r: Rng, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = r.int(6); i > 0; i--) {
    Object.defineProperty(o, r.pick(KEYS), {
      value: randomValue(r, depth),
      enumerable: true,
      configurable: true,
      writable: true,
    });
  }
  return o;
}

/** Paths to every object/array node, for mutations. */
function nodes(root: unknown): unknown[] {
  const out: unknown[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const n = stack.pop();
    if (typeof n === 'object' && n !== null) {
      out.push(n);
      for (const v of Object.values(n)) stack.push(v);
    }
  }
  return out;
}

function mutate(r: Rng, doc: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(doc)) as unknown;
  for (let i = 1 + r.int(3); i > 0; i--) {
    const targets = nodes(copy);
    const node = r.pick(targets) as Record<string, unknown>;
    const keys = Object.keys(node);
    switch (r.int(5)) {
      case 0:
        if (keys.length > 0) delete node[r.pick(keys)];
        break;
      case 1:
        if (keys.length > 0) node[r.pick(keys)] = randomValue(r, 2);
        break;
      case 2:
        Object.defineProperty(node, r.pick(['__proto__', 'constructor', 'prototype']), {
          value: { polluted: true },
          enumerable: true,
          configurable: true,
          writable: true,
        });
        break;
      case 3:
        if (keys.length > 0) node[r.pick(keys)] = JSON.stringify(randomValue(r, 2));
        break;
      default:
        node[r.pick(KEYS)] = randomValue(r, 3);
    }
  }
  return copy;
}

function garbleText(r: Rng, text: string): string {
  switch (r.int(4)) {
    case 0:
      return text.slice(0, r.int(text.length + 1));
    case 1: {
      const at = r.int(text.length + 1);
      return (
        text.slice(0, at) +
        r.pick(['"', '{', '}', ']', ',', '\\', '\\u005f', '\u0000', 'null']) +
        text.slice(at)
      );
    }
    case 2:
      return text.replace(/"[a-z]/, '"\\u005f_proto__":1,"a');
    default:
      return Array.from({ length: r.int(64) }, () => r.pick([...'{}[]":,0123456789abcdefnulltrue\\u '])).join(
        '',
      );
  }
}

const SEEDS = [...Array(8).keys()].map((i) => 0x5eed + i);
const CASES_PER_SEED = 500;

const context: DecisionContext = {
  accounts: new AccountDirectory([{ name: 'prod', accountId: '123456789012' }]),
  clock: { now: () => Date.parse('2024-05-01T12:00:00Z') },
};

function checkResult(result: ParseResult<unknown>): void {
  expect(typeof result.ok).toBe('boolean');
  if (!result.ok) {
    expect(REJECT_REASONS).toContain(result.reason);
    expect(typeof result.message).toBe('string');
    if (result.eventId !== undefined) expect(result.eventId).toMatch(/^[\x21-\x7e]{1,128}$/);
  }
}

function checkIngested(result: ParseResult<IngestedEvent>): void {
  checkResult(result);
  if (!result.ok) return;
  expect(JSON.stringify(result.value)).not.toMatch(/"(?:__proto__|constructor|prototype)":/);
  const decision = decide(result.value.event, context);
  expect(['refresh', 'adjust_intervals', 'heartbeat', 'ignore']).toContain(decision.kind);
  if (decision.kind === 'refresh') {
    for (const target of decision.targets) {
      expect(target.key.startsWith(`aws:${target.type}:`)).toBe(true);
      if (!target.partial) expect(parseCacheKey(target.key)?.type).toBe(target.type);
    }
  }
}

function inputs(seed: number): (string | Uint8Array)[] {
  const r = rng(seed);
  const fixtures = [
    ...fixtureFiles('eventbridge'),
    ...fixtureFiles('notifications'),
    ...fixtureFiles('sqs'),
  ].map((f) => fixtureJson(f));
  const out: (string | Uint8Array)[] = [];
  for (let i = 0; i < CASES_PER_SEED; i++) {
    switch (r.int(6)) {
      case 0:
        out.push(Uint8Array.from({ length: r.int(300) }, () => r.int(256)));
        break;
      case 1:
        out.push(garbleText(r, JSON.stringify(r.pick(fixtures))));
        break;
      case 2:
        out.push(JSON.stringify(randomValue(r, 4)) ?? 'undefined');
        break;
      case 3:
        out.push(JSON.stringify(snsEnvelopeForSqs(JSON.stringify(mutate(r, r.pick(fixtures))))));
        break;
      default:
        out.push(JSON.stringify(mutate(r, r.pick(fixtures))));
    }
  }
  return out;
}

describe('every entry point, on generated input', () => {
  const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();

  afterEach(() => {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each(SEEDS)('never throws and never pollutes prototypes (seed %i)', (seed) => {
    let accepted = 0;
    for (const input of inputs(seed)) {
      const viaSqs = parseSqsMessageBody(input, { region: 'us-west-2', messageId: 'sqs-message-1' });
      checkIngested(viaSqs);
      checkIngested(parseApiDestinationBody(input));
      const sns = parseSnsHttpBody(input, { messageType: 'Notification' });
      checkResult(sns);
      if (sns.ok && sns.value.Type === 'Notification') checkIngested(parseSnsNotificationMessage(sns.value));
      if (viaSqs.ok) accepted++;
    }
    // The mutations are mild enough that a fair share still parses: decide() gets exercised too.
    expect(accepted).toBeGreaterThan(CASES_PER_SEED / 20);
  });

  it('verifies generated SNS messages without ever rejecting the promise', async () => {
    const r = rng(0xface);
    const verifier = new SnsVerifier({
      topicArns: [TEST_TOPIC_ARN],
      fetchCertificate: () =>
        r.next() < 0.2 ? Promise.reject(new Error('down')) : Promise.resolve(testCertificatePem()),
      clock: context.clock,
      maxMessageAgeSeconds: r.int(2) * 3600,
    });
    const verdicts = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const signed: Record<string, unknown> = signedSnsMessage({
        Type: r.pick(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation'] as const),
        Message: JSON.stringify(randomValue(r, 2)) ?? '',
        SignatureVersion: r.pick(['1', '2']),
      });
      const mutated = r.next() < 0.7 ? (mutate(r, signed) as Record<string, unknown>) : signed;
      const parsed = parseSnsHttpBody(JSON.stringify(mutated));
      checkResult(parsed);
      if (!parsed.ok) continue;
      const verdict = await verifier.verify(parsed.value);
      checkResult(verdict);
      verdicts.add(verdict.ok ? 'ok' : verdict.reason);
    }
    expect(verdicts).toContain('ok');
    expect(verdicts).toContain('invalid_signature');
  });
});
