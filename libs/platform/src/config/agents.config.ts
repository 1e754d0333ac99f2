import { z } from 'zod';

/** caching-agents: the scheduler and the refresh worker. Owned by the caching-agents service. */
export const agentsSchema = z.strictObject({
  /** Agents one replica runs at the same time. */
  concurrency: z.number().int().min(1).max(256).default(8),
  /** Lease time-to-live; a running agent extends its lease well before it lapses. */
  leaseTtlSeconds: z.number().int().min(5).max(3_600).default(60),
});
