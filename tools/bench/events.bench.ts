/*
 * libs/events throughput: parse + decide on one core, through the real entry points.
 *
 *   npm run bench:events
 *
 * A corpus of distinct message bodies (every supported event kind, built from the AWS-shaped
 * fixtures with fresh ids) is pushed through the channel each arrives on: SQS bodies (EventBridge
 * events, SNS envelopes, Auto Scaling notifications), EventBridge API-destination bodies, and
 * signed SNS HTTP bodies (parse + RSA signature verification + payload parse). Every accepted event
 * then goes through decide(). Prints a table, then as the last line one JSON object.
 */
import { performance } from 'node:perf_hooks';
import {
  AccountDirectory,
  type DecisionContext,
  type IngestedEvent,
  type ParseResult,
  SnsVerifier,
  decide,
  parseApiDestinationBody,
  parseSnsHttpBody,
  parseSnsNotificationMessage,
  parseSqsMessageBody,
} from '@event-cache/events';
import {
  BENCH_CERT_URL,
  BENCH_TOPIC_ARN,
  EVENTS_FIXTURES_DIR,
  benchCertificatePem,
  eventsFixtureText,
  signedSnsNotification,
  snsEnvelopeForSqs,
} from './events-corpus';

type Channel = 'sqs' | 'api-destination' | 'sns-http';

interface Sample {
  readonly label: string;
  readonly channel: Channel;
  readonly body: string;
}

const TARGET_EVENTS_PER_SEC = 50_000;
const CORPUS_SIZE = 20_000;
const MEASURE_MS = Number(process.env.BENCH_MS ?? 3000);

// --- corpus -----------------------------------------------------------------------------------------

let counter = 0;
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0').slice(-width);
const uuid = () => {
  const n = ++counter;
  return `${hex(n * 2654435761, 8)}-${hex(n, 4)}-4${hex(n >> 4, 3)}-8${hex(n >> 8, 3)}-${hex(n * 40503, 12)}`;
};
const instanceId = () => `i-0${hex(counter * 2654435761, 8)}${hex(counter, 8)}`;

/** Fixture with a fresh event id and instance id wherever the fixture names one. */
function fresh(file: string): Record<string, unknown> {
  const id = instanceId();
  const text = eventsFixtureText(file).replace(
    /i-(?:1234567890abcdef0|0aaaaaaaaaaaaaaa[123]|0a1b2c3d4e5f60718)/g,
    id,
  );
  const doc = JSON.parse(text) as Record<string, unknown>;
  if (typeof doc.id === 'string') doc.id = uuid();
  if (typeof doc.RequestId === 'string') doc.RequestId = uuid();
  return doc;
}

/** Relative weights of a plausible production mix (instance churn dominates). */
const MIX: readonly [weight: number, label: string, channel: Channel, make: () => string][] = [
  [22, 'EC2 state change', 'sqs', () => JSON.stringify(fresh('eventbridge/ec2-instance-state-change.json'))],
  [
    3,
    'Spot interruption',
    'sqs',
    () => JSON.stringify(fresh('eventbridge/ec2-spot-interruption-warning.json')),
  ],
  [
    2,
    'Rebalance recommendation',
    'sqs',
    () => JSON.stringify(fresh('eventbridge/ec2-rebalance-recommendation.json')),
  ],
  [
    5,
    'ASG lifecycle action',
    'sqs',
    () => JSON.stringify(fresh('eventbridge/autoscaling-launch-lifecycle-action.json')),
  ],
  [
    9,
    'ASG launch/terminate',
    'sqs',
    () => JSON.stringify(fresh('eventbridge/autoscaling-launch-successful.json')),
  ],
  [2, 'AWS Health (EC2)', 'sqs', () => JSON.stringify(fresh('eventbridge/health-ec2-scheduled-change.json'))],
  [4, 'Config item (EventBridge)', 'sqs', () => JSON.stringify(fresh('eventbridge/config-item-change.json'))],
  [
    1,
    'Config oversized',
    'sqs',
    () => JSON.stringify(fresh('eventbridge/config-oversized-item-change.json')),
  ],
  [
    3,
    'CloudTrail RunInstances',
    'sqs',
    () => JSON.stringify(fresh('eventbridge/cloudtrail-run-instances.json')),
  ],
  [
    2,
    'CloudTrail ASG write',
    'sqs',
    () => JSON.stringify(fresh('eventbridge/cloudtrail-update-auto-scaling-group.json')),
  ],
  [
    1,
    'CloudTrail SG write',
    'sqs',
    () => JSON.stringify(fresh('eventbridge/cloudtrail-authorize-security-group-ingress.json')),
  ],
  [
    1,
    'CloudTrail ELB write',
    'sqs',
    () => JSON.stringify(fresh('eventbridge/cloudtrail-register-targets.json')),
  ],
  [
    1,
    'CloudTrail failed call',
    'sqs',
    () => JSON.stringify(fresh('eventbridge/cloudtrail-terminate-instances-failed.json')),
  ],
  [
    1,
    'Heartbeat',
    'sqs',
    () => JSON.stringify({ ...fresh('eventbridge/scheduled-event.json'), time: new Date().toISOString() }),
  ],
  [
    1,
    'Unsupported (S3)',
    'sqs',
    () => JSON.stringify(fresh('eventbridge/unsupported-s3-object-created.json')),
  ],
  [
    8,
    'SNS-in-SQS Config item',
    'sqs',
    () => snsEnvelopeForSqs(uuid(), eventsFixtureText('notifications/config-item-change-notification.json')),
  ],
  [
    4,
    'SNS-in-SQS EventBridge',
    'sqs',
    () => snsEnvelopeForSqs(uuid(), fresh('eventbridge/ec2-instance-state-change.json')),
  ],
  [
    3,
    'SNS-in-SQS ASG notification',
    'sqs',
    () => snsEnvelopeForSqs(uuid(), fresh('notifications/autoscaling-launch-notification.json')),
  ],
  [
    3,
    'ASG lifecycle hook (SQS)',
    'sqs',
    () => JSON.stringify(fresh('notifications/autoscaling-lifecycle-hook-sqs.json')),
  ],
  [
    8,
    'API destination state change',
    'api-destination',
    () => JSON.stringify(fresh('eventbridge/ec2-instance-state-change.json')),
  ],
  [
    4,
    'API destination ASG',
    'api-destination',
    () => JSON.stringify(fresh('eventbridge/autoscaling-terminate-successful.json')),
  ],
  [
    3,
    'API destination CloudTrail',
    'api-destination',
    () => JSON.stringify(fresh('eventbridge/cloudtrail-create-load-balancer.json')),
  ],
  [
    5,
    'SNS HTTP Config item (signed)',
    'sns-http',
    () =>
      signedSnsNotification(uuid(), eventsFixtureText('notifications/config-item-change-notification.json')),
  ],
  [
    1,
    'SNS HTTP Config oversized (signed)',
    'sns-http',
    () =>
      signedSnsNotification(
        uuid(),
        eventsFixtureText('notifications/config-oversized-item-change-notification.json'),
        '1',
      ),
  ],
];

function buildCorpus(size: number): Sample[] {
  const total = MIX.reduce((sum, [w]) => sum + w, 0);
  const samples: Sample[] = [];
  for (const [weight, label, channel, make] of MIX) {
    const count = Math.max(1, Math.round((size * weight) / total));
    for (let i = 0; i < count; i++) samples.push({ label, channel, body: make() });
  }
  // Deterministic shuffle so channels interleave as they would in production.
  let seed = 42;
  for (let i = samples.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const j = seed % (i + 1);
    [samples[i], samples[j]] = [samples[j], samples[i]];
  }
  return samples;
}

// --- pipeline ---------------------------------------------------------------------------------------

const context: DecisionContext = {
  accounts: new AccountDirectory([
    {
      name: 'prod',
      accountId: '123456789012',
      environment: 'prod',
      regions: ['us-east-1', 'us-east-2', 'us-west-2'],
    },
  ]),
  clock: { now: () => Date.now() },
};

const verifier = new SnsVerifier({
  topicArns: [BENCH_TOPIC_ARN],
  // Benchmarks never touch the network: the test certificate is configured as trusted.
  trustedCertificates: { [BENCH_CERT_URL]: benchCertificatePem() },
  fetchCertificate: () => Promise.reject(new Error('no network in benchmarks')),
});

const outcomes = new Map<string, number>();
const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);

function record(result: ParseResult<IngestedEvent>): void {
  if (!result.ok) return void count(`rejected:${result.reason}`);
  const decision = decide(result.value.event, context);
  count(decision.kind === 'ignore' ? `ignore:${decision.reason}` : decision.kind);
}

/** SNS over HTTP: parse the envelope, verify the signature (async), parse the payload, decide. */
async function processSnsHttp(body: string): Promise<void> {
  const envelope = parseSnsHttpBody(body, { messageType: 'Notification' });
  if (!envelope.ok) return void count(`rejected:${envelope.reason}`);
  const verified = await verifier.verify(envelope.value);
  if (!verified.ok) return void count(`rejected:${verified.reason}`);
  if (verified.value.Type !== 'Notification') return void count('rejected:not_a_notification');
  record(parseSnsNotificationMessage(verified.value));
}

/** Synchronous for SQS and API-destination bodies; a promise only when a signature is verified. */
function processOne(sample: Sample): Promise<void> | undefined {
  switch (sample.channel) {
    case 'sqs':
      return void record(parseSqsMessageBody(sample.body, { region: 'us-west-2' }));
    case 'api-destination':
      return void record(parseApiDestinationBody(sample.body));
    case 'sns-http':
      return processSnsHttp(sample.body);
  }
}

async function run(samples: readonly Sample[], budgetMs: number): Promise<{ events: number; ms: number }> {
  let events = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < budgetMs) {
    for (const sample of samples) {
      const pending = processOne(sample);
      if (pending !== undefined) await pending;
    }
    events += samples.length;
    elapsed = performance.now() - start;
  }
  return { events, ms: elapsed };
}

function row(cells: (string | number)[], widths: number[]): string {
  return cells
    .map((c, i) => (typeof c === 'number' ? String(c).padStart(widths[i]) : c.padEnd(widths[i])))
    .join('  ');
}

async function main(): Promise<void> {
  const corpus = buildCorpus(CORPUS_SIZE);
  const bytes = corpus.reduce((sum, s) => sum + Buffer.byteLength(s.body), 0);
  await run(corpus, 500); // warm-up: JIT, certificate parse
  outcomes.clear();

  const perChannel: (string | number)[][] = [];
  for (const channel of ['sqs', 'api-destination', 'sns-http'] as const) {
    const subset = corpus.filter((s) => s.channel === channel);
    const { events, ms } = await run(subset, MEASURE_MS / 4);
    perChannel.push([
      channel,
      subset.length,
      Math.round((events / ms) * 1000),
      ((ms * 1000) / events).toFixed(2),
    ]);
  }
  const perKind: (string | number)[][] = [];
  for (const [, label, channel] of MIX) {
    const subset = corpus.filter((s) => s.label === label);
    const { events, ms } = await run(subset, MEASURE_MS / 30);
    perKind.push([
      `${label} (${channel})`,
      subset.length,
      Math.round((events / ms) * 1000),
      ((ms * 1000) / events).toFixed(2),
    ]);
  }
  outcomes.clear();
  const mixed = await run(corpus, MEASURE_MS);
  const eventsPerSec = Math.round((mixed.events / mixed.ms) * 1000);

  const widths = [48, 8, 12, 10];
  console.log(
    `libs/events parse + decide, one core (node ${process.version}); fixtures from ${EVENTS_FIXTURES_DIR}`,
  );
  console.log(
    `corpus: ${corpus.length} distinct bodies, ${(bytes / corpus.length).toFixed(0)} bytes on average\n`,
  );
  console.log(row(['event kind (channel) / channel', 'bodies', 'events/s', 'µs/event'], widths));
  console.log(row(['-'.repeat(widths[0]), '-'.repeat(8), '-'.repeat(12), '-'.repeat(10)], widths));
  for (const r of perKind) console.log(row(r, widths));
  console.log(row(['-'.repeat(widths[0]), '-'.repeat(8), '-'.repeat(12), '-'.repeat(10)], widths));
  for (const r of perChannel) console.log(row(r, widths));
  console.log(
    row(
      [
        'mixed (all channels interleaved)',
        corpus.length,
        eventsPerSec,
        ((mixed.ms * 1000) / mixed.events).toFixed(2),
      ],
      widths,
    ),
  );

  console.log('\noutcomes in the mixed run (share of events):');
  const sorted = [...outcomes.entries()].sort((a, b) => b[1] - a[1]);
  for (const [outcome, n] of sorted)
    console.log(`  ${outcome.padEnd(32)} ${((100 * n) / mixed.events).toFixed(1).padStart(5)} %`);
  console.log(
    `\ntarget >= ${TARGET_EVENTS_PER_SEC.toLocaleString('en-US')} events/s: ${eventsPerSec >= TARGET_EVENTS_PER_SEC ? 'met' : 'NOT met'}`,
  );
  console.log(JSON.stringify({ bench: 'events', eventsPerSec }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
