import { AGENT_KIND_BY_TYPE, type CacheKeyType } from '@event-cache/events';
import { z } from 'zod';
import { openApiSchema } from '../common/openapi.util';
import { formats } from '../common/request-input.util';
import { agentMatchFields } from './agent-match.dto';

const DAY_SECONDS = 86_400;

export const intervalOverrideSchema = z
  .strictObject({
    ...agentMatchFields,
    seconds: z.number().int().min(1).max(DAY_SECONDS).optional().describe('interval in force, in seconds'),
    factor: z
      .number()
      .min(0.01)
      .max(100)
      .optional()
      .describe('multiplies the computed interval (2 = half as often)'),
    expiresAt: z.iso.datetime({ offset: true }).optional().describe('ISO 8601; the override lapses then'),
    ttlSeconds: z
      .number()
      .int()
      .min(1)
      .max(30 * DAY_SECONDS)
      .optional()
      .describe('or: lapses this many seconds from now'),
    reason: z.string().min(1).max(500).describe('why (kept with the override)'),
    setBy: z
      .string()
      .regex(/^[\w.@-]{1,100}$/)
      .optional()
      .describe('who (recorded as admin:<setBy>)'),
  })
  .refine((b) => (b.seconds === undefined) !== (b.factor === undefined), {
    message: 'give exactly one of seconds or factor',
    path: ['seconds'],
  })
  .refine((b) => b.expiresAt === undefined || b.ttlSeconds === undefined, {
    message: 'give at most one of expiresAt or ttlSeconds',
    path: ['expiresAt'],
  })
  .refine((b) => b.expiresAt === undefined || Date.parse(b.expiresAt) > Date.now(), {
    message: 'must be in the future',
    path: ['expiresAt'],
  });
export type IntervalOverrideBody = z.output<typeof intervalOverrideSchema>;

/** A kind, or a cache type standing for the agent kind that fills it (`instances` = InstanceCachingAgent). */
const kindOrType = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9]{0,127}$/)
  .transform((k) =>
    Object.prototype.hasOwnProperty.call(AGENT_KIND_BY_TYPE, k) ? AGENT_KIND_BY_TYPE[k as CacheKeyType] : k,
  );

export const refreshNowSchema = z.strictObject({
  agentId: agentMatchFields.agentId,
  account: agentMatchFields.account,
  region: agentMatchFields.region,
  kinds: z
    .array(kindOrType)
    .min(1)
    .max(50)
    .optional()
    .describe('agent kinds or cache types, e.g. ["instances"]'),
});

export const agentListQuery = z.strictObject(agentMatchFields);

export const eventListQuery = z.strictObject({
  limit: formats.queryInt(1, 1_000).optional(),
  outcome: z.enum(['pending', 'refreshed', 'adjusted', 'ignored', 'rejected', 'heartbeat']).optional(),
  reason: z
    .string()
    .regex(/^[a-z_]{1,64}$/)
    .optional(),
  before: z.iso.datetime({ offset: true }).optional().describe('only events received before this time'),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,400}$/)
    .optional()
    .describe('next page: the nextCursor of the previous one'),
});

/** An inbox event id: EventBridge's id, an SNS MessageId, `sqs:<MessageId>` ... */
export const eventIdParam = z.string().min(1).max(256);

const agentView = z.object({
  id: z.string(),
  provider: z.string(),
  kind: z.string(),
  account: z.string(),
  region: z.string(),
  interval: z.object({
    ms: z.number(),
    reason: z
      .string()
      .describe(
        'why this interval is in force (base, environment, healthy pipeline, throttling, override ...)',
      ),
    baseMs: z.number(),
    dynamicFactor: z.number(),
    override: z
      .object({
        intervalMs: z.number().nullable(),
        factor: z.number().nullable(),
        expiresAt: z.string().nullable(),
        setBy: z.string().nullable(),
        reason: z.string().nullable(),
      })
      .nullable(),
  }),
  paused: z.boolean(),
  nextRunAt: z.string(),
  lease: z.object({ owner: z.string(), expiresAt: z.string() }).nullable(),
  lastRun: z
    .object({
      startedAt: z.string(),
      durationMs: z.number().nullable(),
      additions: z.number().nullable(),
      evictions: z.number().nullable(),
      error: z.string().nullable(),
    })
    .nullable(),
  totals: z.object({ additions: z.number(), evictions: z.number() }),
});

const eventView = z.object({
  id: z.string(),
  channel: z.enum(['sqs', 'sns', 'api']),
  source: z.string().nullable(),
  detailType: z.string().nullable(),
  account: z.string().nullable(),
  region: z.string().nullable(),
  receivedAt: z.string(),
  processedAt: z.string().nullable(),
  outcome: z.string(),
  reason: z.string().nullable(),
  refreshKeys: z.array(z.string()),
  duplicateCount: z.number(),
});

export const adminDocs = {
  intervalOverride: openApiSchema(intervalOverrideSchema),
  match: openApiSchema(z.strictObject(agentMatchFields)),
  refreshNow: openApiSchema(refreshNowSchema),
  agents: openApiSchema(z.array(agentView), 'output'),
  affected: openApiSchema(z.object({ agents: z.array(z.string()).describe('ids of the agents changed') })),
  events: openApiSchema(z.object({ items: z.array(eventView), nextCursor: z.string().nullable() }), 'output'),
  event: openApiSchema(eventView, 'output'),
};
