import { z } from 'zod';

/** The AWS clients of the caching agents. Owned by the AWS agents lib. */
export const awsSchema = z.strictObject({
  /** Requests per second per account, region and service (Clouddriver's default rate limit: 10). */
  rateLimitPerSecond: z.number().positive().max(1_000).default(10),
});
