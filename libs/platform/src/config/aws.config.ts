import { z } from 'zod';

const endpoint = z.string().regex(/^https?:\/\/\S+$/, 'an http(s) URL');

/** One of AWS's token buckets: what it holds, and what it gets back per second. */
const bucket = (defaults: { capacity: number; refillPerSecond: number }) =>
  z
    .strictObject({
      capacity: z.number().int().min(1).max(10_000).default(defaults.capacity),
      refillPerSecond: z.number().positive().max(10_000).default(defaults.refillPerSecond),
    })
    .default({ ...defaults });

/**
 * AWS's request token buckets per account and region (docs/configuration.md): EC2's
 * non-mutating (Describe) actions 100 + 20/s, its unfiltered and unpaginated
 * DescribeInstances / DescribeSecurityGroups (...) 50 + 10/s, ELB's (v2) Describe actions 40 +
 * 10/s, CloudWatch DescribeAlarms 9/s; Auto Scaling and AWS Config document none, so a
 * conservative 20 + 5/s and 10 + 5/s.
 */
export const AWS_RATE_LIMIT_DEFAULTS = {
  ec2Describe: { capacity: 100, refillPerSecond: 20 },
  ec2UnfilteredDescribe: { capacity: 50, refillPerSecond: 10 },
  elasticLoadBalancingV2Describe: { capacity: 40, refillPerSecond: 10 },
  autoScaling: { capacity: 20, refillPerSecond: 5 },
  cloudWatchDescribeAlarms: { capacity: 9, refillPerSecond: 9 },
  configService: { capacity: 10, refillPerSecond: 5 },
} as const;

const d = AWS_RATE_LIMIT_DEFAULTS;
const rateLimitsSchema = z
  .strictObject({
    ec2Describe: bucket(d.ec2Describe),
    ec2UnfilteredDescribe: bucket(d.ec2UnfilteredDescribe),
    elasticLoadBalancingV2Describe: bucket(d.elasticLoadBalancingV2Describe),
    autoScaling: bucket(d.autoScaling),
    cloudWatchDescribeAlarms: bucket(d.cloudWatchDescribeAlarms),
    configService: bucket(d.configService),
  })
  .default(AWS_RATE_LIMIT_DEFAULTS);

/** The AWS clients of the caching agents. Owned by the AWS agents lib. */
export const awsSchema = z.strictObject({
  /**
   * AWS's token buckets of one account and region; every client of the account/region (agents and
   * targeted refreshes alike) draws from the same ones, retries included. Lower a bucket to leave
   * room for other tools calling the same account.
   */
  rateLimits: rateLimitsSchema,
  /**
   * The share (0-1] of every bucket one caching-agents process uses: 1 / replicas, or less for
   * headroom (each replica keeps its own buckets).
   */
  rateLimitShare: z.number().positive().max(1).default(1),
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
