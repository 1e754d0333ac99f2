import { z } from 'zod';
import { agentsSchema } from './agents.config';
import { awsSchema } from './aws.config';
import { forwarderSchema } from './forwarder.config';
import {
  adminSchema,
  clouddriverSchema,
  eventsSchema,
  inboxSchema,
  snsSchema,
  sqsSchema,
} from './sections.config';

/** The services that read this configuration; each has its own default port. */
export const SERVICE_PORTS = {
  'gate-endpoint': 8090,
  'event-scheduler': 8091,
  'caching-agents': 8092,
  'clouddriver-forwarder': 8093,
} as const;
export type ServiceName = keyof typeof SERVICE_PORTS;

const accountName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'letters, digits, "_", "." or "-"');
const regionName = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-east-1');

export const regionSchema = z.strictObject({ name: regionName });

export const accountSchema = z.strictObject({
  name: accountName,
  accountId: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id'),
  assumeRole: z
    .string()
    .regex(/^(arn:aws[a-z-]*:iam::\d{12}:role\/.+|role\/.+)$/, 'an IAM role ARN or role/<name>')
    .optional(),
  regions: z.array(regionSchema).min(1).max(40),
  environment: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,31}$/)
    .default('prod'),
  /**
   * Read instances, security groups, subnets and VPCs through AWS Config instead of the EC2
   * Describe APIs: an aggregator (`aggregatorName`, in `region`, optionally through its own
   * `assumeRole`) or, without one, the account's own recorder in each region.
   */
  configSource: z
    .strictObject({
      aggregatorName: z
        .string()
        .regex(/^[\w-]{1,256}$/, 'a Config aggregator name')
        .optional(),
      region: regionName.optional(),
      // A full ARN only: the aggregator usually lives in another account (the delegated
      // administrator), and `role/<name>` would name a role in the cached account.
      assumeRole: z
        .string()
        .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, "an IAM role ARN in the aggregator's account")
        .optional(),
    })
    .optional(),
});

const seconds = z.number().int().positive().max(86_400);

export const pollingSchema = z.strictObject({
  /** Base polling interval of a caching agent when no kind-specific value is set (Clouddriver: 30 s). */
  defaultIntervalSeconds: seconds.default(30),
  /** Per-kind base intervals, e.g. `{ SecurityGroupCachingAgent: 60 }`. */
  intervalSecondsByKind: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/), seconds).default({}),
  /** Slow interval used while the account/region's event pipeline is healthy. */
  reconcileIntervalSeconds: seconds.default(600),
  /** Multiplier per account environment, e.g. `{ nonprod: 4 }`. Missing environments use 1. */
  environmentMultipliers: z.record(z.string(), z.number().positive().max(100)).default({}),
});

export const httpSchema = z
  .strictObject({
    /** Listening port (0 = any free port). Usually given as PORT; defaults to the service's own port. */
    port: z.number().int().min(0).max(65_535).optional(),
    host: z.string().min(1).default('0.0.0.0'),
    /** A client must have sent the request head within this (slow-header clients are cut off). */
    headersTimeoutMs: z.number().int().min(1_000).max(300_000).default(10_000),
    /** ... and the whole request, body included. */
    requestTimeoutMs: z.number().int().min(1_000).max(3_600_000).default(30_000),
    /** An idle keep-alive connection is closed after this. */
    keepAliveTimeoutMs: z.number().int().min(1_000).max(600_000).default(5_000),
    /** Connections open at once; more are closed on arrival. Bounds the request bodies held in memory. */
    maxConnections: z.number().int().min(1).max(100_000).default(256),
  })
  .refine((h) => h.headersTimeoutMs <= h.requestTimeoutMs, {
    message: 'must not exceed http.requestTimeoutMs',
    path: ['headersTimeoutMs'],
  });

/** How much longer than the server's statement timeout the client waits for an answer by default. */
const QUERY_TIMEOUT_GRACE_MS = 5_000;

export const databaseSchema = z
  .strictObject({
    /** PostgreSQL URL. Usually given as DATABASE_URL. Without it the local stack starts an embedded server. */
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'a postgres:// URL')
      .optional(),
    poolSize: z.number().int().min(1).max(200).default(10),
    /** Statement timeout for queries, in milliseconds (0 = off). */
    statementTimeoutMs: z.number().int().min(0).max(3_600_000).default(30_000),
    /** Opening a connection, or waiting for a free pooled one, gives up after this long. */
    connectTimeoutMs: z.number().int().min(100).max(300_000).default(10_000),
    /**
     * A query unanswered after this long fails on the client, even when the server is hung and
     * cannot enforce the statement timeout (0 = off). Default: the statement timeout + 5 s.
     */
    queryTimeoutMs: z.number().int().min(0).max(3_600_000).optional(),
  })
  .transform((db, ctx) => {
    const derived = db.statementTimeoutMs > 0 ? db.statementTimeoutMs + QUERY_TIMEOUT_GRACE_MS : 0;
    const queryTimeoutMs = db.queryTimeoutMs ?? derived;
    if (queryTimeoutMs > 0 && db.statementTimeoutMs > 0 && queryTimeoutMs <= db.statementTimeoutMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['queryTimeoutMs'],
        message: 'must be longer than database.statementTimeoutMs (or 0)',
      });
    }
    return { ...db, queryTimeoutMs };
  });

export const configSchema = z.strictObject({
  database: databaseSchema.default(databaseSchema.parse({})),
  http: httpSchema.default(httpSchema.parse({})),
  health: z
    .strictObject({
      /** Each readiness check gets this long to answer; after it, /health/ready says 503 naming it. */
      readinessTimeoutMs: z.number().int().min(100).max(60_000).default(2_000),
    })
    .default({ readinessTimeoutMs: 2_000 }),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .default({ level: 'info' }),
  accounts: z.array(accountSchema).max(5_000).default([]),
  polling: pollingSchema.default({
    defaultIntervalSeconds: 30,
    intervalSecondsByKind: {},
    reconcileIntervalSeconds: 600,
    environmentMultipliers: {},
  }),
  sqs: sqsSchema.default(sqsSchema.parse({})),
  inbox: inboxSchema.default(inboxSchema.parse({})),
  sns: snsSchema.default(snsSchema.parse({})),
  events: eventsSchema.default(eventsSchema.parse({})),
  admin: adminSchema.default({}),
  clouddriver: clouddriverSchema.default(clouddriverSchema.parse({})),
  agents: agentsSchema.default(agentsSchema.parse({})),
  aws: awsSchema.default(awsSchema.parse({})),
  forwarder: forwarderSchema.default(forwarderSchema.parse({})),
  retention: z
    .strictObject({
      /** How long processed inbox events are kept for the audit trail. */
      eventInboxDays: z.number().int().min(1).max(365).default(7),
      /** How long finished refresh requests are kept (Orca polls them for minutes). */
      refreshRequestHours: z
        .number()
        .int()
        .min(1)
        .max(24 * 30)
        .default(24),
    })
    .default({ eventInboxDays: 7, refreshRequestHours: 24 }),
});

/** The validated configuration every service works from. */
export type AppConfig = z.infer<typeof configSchema> & {
  service: ServiceName;
  http: z.infer<typeof httpSchema> & { port: number };
};
export type AccountConfig = z.infer<typeof accountSchema>;
