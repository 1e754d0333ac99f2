import { z } from 'zod';

const rate = z.number().positive().max(1_000);
const endpoint = z.string().regex(/^https?:\/\/\S+$/, 'an http(s) URL');

/** The AWS clients of the caching agents. Owned by the AWS agents lib. */
export const awsSchema = z.strictObject({
  /** Requests per second per account, region and service (Clouddriver's default rate limit: 10). */
  rateLimitPerSecond: rate.default(10),
  /** Per-service overrides of `rateLimitPerSecond`, e.g. `{ ec2: 20 }`. */
  rateLimitPerSecondByService: z
    .strictObject({
      ec2: rate.optional(),
      autoScaling: rate.optional(),
      elasticLoadBalancingV2: rate.optional(),
      configService: rate.optional(),
      cloudWatch: rate.optional(),
    })
    .default({}),
  /** Attempts per AWS call, first one included (SDK adaptive retry mode). */
  maxAttempts: z.number().int().min(1).max(20).default(3),
  /**
   * Endpoint for every AWS service (LocalStack or another emulator). The SDK's own
   * `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` variables work too; these settings win.
   */
  endpoint: endpoint.optional(),
  /** Per-service endpoints; win over `endpoint`. */
  endpoints: z
    .strictObject({
      ec2: endpoint.optional(),
      autoScaling: endpoint.optional(),
      elasticLoadBalancingV2: endpoint.optional(),
      configService: endpoint.optional(),
      cloudWatch: endpoint.optional(),
      sts: endpoint.optional(),
    })
    .default({}),
  /** Session name of the STS AssumeRole sessions (shows in the accounts' CloudTrail). */
  assumeRoleSessionName: z
    .string()
    .regex(/^[\w+=,.@-]{2,64}$/, '2-64 characters of letters, digits and +=,.@_-')
    .default('spinnaker-event-cache'),
  /** Lifetime of assumed-role credentials; they are refreshed 10 minutes before they expire. */
  assumeRoleDurationSeconds: z.number().int().min(900).max(43_200).default(3_600),
  /**
   * Target health re-checks: a target group refresh that finds targets still settling (`initial`,
   * `draining`, or instances of its server group not registered yet) reads it again after
   * `recheckSeconds`, until `windowSeconds` after the change that started it (0 = no re-checks).
   */
  targetHealth: z
    .strictObject({
      recheckSeconds: z.number().int().min(1).max(300).default(5),
      windowSeconds: z.number().int().min(0).max(3_600).default(600),
    })
    .default({ recheckSeconds: 5, windowSeconds: 600 }),
});

export type AwsConfig = z.infer<typeof awsSchema>;
