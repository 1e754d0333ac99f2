import { z } from 'zod';

/**
 * Configuration sections of the individual services. Each service's issue owns its section(s);
 * `config.schema.ts` composes them. Every field has a default so an empty file is valid.
 */

const seconds = (max: number) => z.number().int().min(0).max(max);

/** event-scheduler: the SQS queue EventBridge delivers to. */
export const sqsSchema = z.strictObject({
  /** Queue URL; without it the SQS consumer does not start. */
  queueUrl: z
    .string()
    .regex(/^https?:\/\/\S+$/, 'an http(s) queue URL')
    .optional(),
  /** Region of the queue; defaults to the one in the queue URL. */
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/)
    .optional(),
  /** Custom endpoint (LocalStack or another SQS-compatible service). */
  endpoint: z
    .string()
    .regex(/^https?:\/\/\S+$/, 'an http(s) URL')
    .optional(),
  /**
   * The queue's dead-letter queue (same account and region). When set, event-scheduler reports its
   * depth (`event_cache_sqs_dead_letter_messages`) and can redrive it (`POST /admin/dlq/redrive`).
   */
  deadLetterQueueUrl: z
    .string()
    .regex(/^https?:\/\/\S+$/, 'an http(s) queue URL')
    .optional(),
  /** How often the dead-letter queue's depth is read (one GetQueueAttributes call). */
  deadLetterPollSeconds: z.number().int().min(10).max(3_600).default(60),
  waitTimeSeconds: seconds(20).default(20),
  maxMessages: z.number().int().min(1).max(10).default(10),
  /** Receive loops running in parallel. */
  concurrency: z.number().int().min(1).max(64).default(4),
  /** How long a received message stays invisible; extended while it is still being handled. */
  visibilityTimeoutSeconds: z.number().int().min(5).max(43_200).default(60),
  /**
   * SNS envelopes arriving through the queue (a topic subscribed without raw delivery) are only
   * accepted from these topics (empty = any: the queue itself is authenticated by IAM).
   */
  snsTopicArns: z
    .array(z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/, 'an SNS topic ARN'))
    .max(1_000)
    .default([]),
});

/** event-scheduler: the inbox processor (decisions) and retention. */
export const inboxSchema = z.strictObject({
  /** Inbox events claimed and decided in one transaction. */
  batchSize: z.number().int().min(1).max(5_000).default(500),
  /** Polling fallback when no LISTEN/NOTIFY wake-up arrives. */
  pollIntervalMs: z.number().int().min(50).max(60_000).default(1_000),
  /** A claimed batch whose processor died is claimed again after this. */
  claimTtlSeconds: z.number().int().min(5).max(3_600).default(60),
  /** How often finished inbox events and refresh requests past retention are purged (0 = never). */
  purgeIntervalSeconds: seconds(86_400).default(600),
});

/** gate-endpoint: the SNS HTTPS subscription. */
export const snsSchema = z.strictObject({
  /** Topics whose messages are accepted (TopicArn allowlist). */
  topicArns: z
    .array(z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/, 'an SNS topic ARN'))
    .max(1_000)
    .default([]),
  /** Tests and local runs only: certificate URL -> PEM file path, used instead of fetching. */
  trustedCertificates: z.record(z.string().url(), z.string().min(1)).default({}),
  /** Reject messages older than this (0 = off). SNS gives up retrying a delivery after an hour. */
  maxMessageAgeSeconds: seconds(86_400 * 30).default(3_600),
  /** Accept SHA1withRSA signatures (SNS topics sign with version 1 until set to version 2). */
  allowSignatureVersion1: z.boolean().default(true),
  /** PEM files of the only CAs allowed to issue signing certificates (empty = any, as the AWS SDKs). */
  signingCertificateIssuers: z.array(z.string().min(1)).max(20).default([]),
});

/** gate-endpoint: the EventBridge API destination and the heartbeat rule. */
export const eventsSchema = z.strictObject({
  apiKeyHeader: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/)
    .default('x-api-key'),
  /** Shared secret the API destination's connection sends; without it POST /events is refused. */
  apiKey: z.string().min(16, 'at least 16 characters').optional(),
  heartbeat: z
    .strictObject({
      periodSeconds: seconds(86_400).default(60),
      toleratedMisses: z.number().int().min(1).max(100).default(1),
      /** Only Scheduled Events of these EventBridge rule names count as heartbeats (empty = any). */
      ruleNames: z.array(z.string().min(1)).max(100).default([]),
    })
    .default({ periodSeconds: 60, toleratedMisses: 1, ruleNames: [] }),
});

/** gate-endpoint: the admin API. */
export const adminSchema = z.strictObject({
  /** Bearer token of the admin API; without it admin routes answer 401. */
  token: z.string().min(16, 'at least 16 characters').optional(),
});

/**
 * The Clouddriver cache projection: Clouddriver's own SQL cache tables (cats_v1_*), written in the
 * same transaction as every write of the cache, so a Clouddriver on its SQL cache serves our data.
 */
export const clouddriverCacheSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /**
   * Clouddriver's SQL database, when it is not the cache's own (PostgreSQL). Without it the tables
   * are written into the cache's database in the same transaction as the cache; with it, changes
   * are recorded in an outbox and caching-agents relays them into this database.
   */
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'a postgres:// URL')
    .optional(),
  /** Clouddriver's `sql.table-namespace`: tables `cats_v1_<namespace>_<type>`. */
  tableNamespace: z.string().regex(/^\w+$/, 'letters, digits and "_" only').max(40).optional(),
  /** The shape of the AWS objects in the bodies: `sdk-v1`, as Clouddriver's agents on the AWS SDK for Java v1 write them. */
  bodyFormat: z.enum(['sdk-v1']).default('sdk-v1'),
  /** Serve the onDemand rows Clouddriver itself writes (Orca calling Clouddriver's force refresh). */
  onDemand: z
    .strictObject({
      watch: z.boolean().default(true),
      pollIntervalMs: z.number().int().min(100).max(60_000).default(1_000),
    })
    .default({ watch: true, pollIntervalMs: 1_000 }),
});

/** event-scheduler -> clouddriver-forwarder: optional propagation into stock Clouddriver. */
export const clouddriverSchema = z.strictObject({
  propagateRefreshes: z.boolean().default(false),
  /** Base URL of the clouddriver-forwarder. */
  forwarderUrl: z
    .string()
    .regex(/^https?:\/\/\S+$/, 'an http(s) URL')
    .default('http://localhost:8093'),
  /** Timeout of one propagation call to the forwarder. */
  timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
  cache: clouddriverCacheSchema.default(clouddriverCacheSchema.parse({})),
});
