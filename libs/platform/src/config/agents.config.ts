import { z } from 'zod';

const ms = (max: number) => z.number().int().min(1).max(max);

/** The refresh worker of caching-agents: targeted and on-demand refreshes. */
export const agentsRefreshSchema = z.strictObject({
  /** Most refresh requests of one account/region/type claimed and read together. */
  batchSize: z.number().int().min(1).max(5_000).default(1_000),
  /** Batches processed at the same time by one replica. */
  concurrency: z.number().int().min(1).max(64).default(2),
  /** A claim lapses after this long; a crashed worker's requests are then claimed again. */
  claimTtlSeconds: z.number().int().min(5).max(3_600).default(60),
  /** Attempts before a refresh request fails for good. */
  maxAttempts: z.number().int().min(1).max(100).default(5),
  /** First retry delay of a failed refresh; doubles with each attempt. */
  backoffMs: ms(3_600_000).default(1_000),
  /** Longest idle wait between claims (NOTIFY wakes the worker as soon as a request is enqueued). */
  pollIntervalMs: ms(60_000).default(1_000),
});

/** caching-agents: the scheduler and the refresh worker. Owned by the caching-agents service. */
export const agentsSchema = z
  .strictObject({
    /** Agents one replica runs at the same time. */
    concurrency: z.number().int().min(1).max(256).default(8),
    /**
     * Pages those agents write at the same time (the others wait with their page read): what
     * bounds a replica's memory while many agents run at once, e.g. all of them on start-up.
     */
    pageWriteConcurrency: z.number().int().min(1).max(64).default(2),
    /** Lease time-to-live; a running agent extends its lease well before it lapses. */
    leaseTtlSeconds: z.number().int().min(5).max(3_600).default(60),
    /** Longest wait between two acquisitions of due agents when nothing was due. */
    pollIntervalMs: ms(60_000).default(1_000),
    /** How often intervals are recomputed from admin overrides and event-pipeline health. */
    intervalSyncSeconds: z.number().int().min(1).max(3_600).default(5),
    /** Cap of the throttling back-off factor of an account/region (doubles per throttled run). */
    maxThrottleFactor: z.number().int().min(1).max(1_024).default(16),
    /** First runs of newly registered agents are spread over this long (0 = all at once). */
    firstRunSpreadSeconds: z.number().int().min(0).max(3_600).default(30),
    /** A run still going after this long is aborted and counts as failed (a hung AWS call). */
    runTimeoutSeconds: z.number().int().min(10).max(86_400).default(900),
    /** On shutdown, how long running agents and refresh batches may finish before they are aborted. */
    shutdownGraceSeconds: z.number().int().min(0).max(600).default(20),
    /**
     * Agents no running replica has in its configuration (removed accounts, regions, kinds) are
     * retired with their cached resources once no replica registered them for this long (0 = never).
     */
    retireAfterSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400)
      .refine((s) => s === 0 || s >= 60, '0 (never) or at least 60')
      .default(900),
    refresh: agentsRefreshSchema.default(agentsRefreshSchema.parse({})),
  })
  // Replicas re-affirm their agents from the interval sync, every quarter of the window.
  .refine((a) => a.retireAfterSeconds === 0 || a.intervalSyncSeconds * 4 <= a.retireAfterSeconds, {
    path: ['retireAfterSeconds'],
    message: 'must be at least 4 x intervalSyncSeconds (or 0)',
  });

export type AgentsConfig = z.infer<typeof agentsSchema>;
