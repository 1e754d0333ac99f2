import type { AwsConfig } from '../aws-agents.model';
import { TokenBucket } from './token-bucket';

/** One of AWS's request token buckets of an account/region (`aws.rateLimits`). */
export type AwsRateLimitBucket = keyof AwsConfig['rateLimits'];

/** A service whose requests the limiter paces (the keys of `AwsClientFactory`). */
export type RateLimitedService =
  'ec2' | 'autoScaling' | 'elasticLoadBalancingV2' | 'configService' | 'cloudWatch';

/**
 * The EC2 actions AWS throttles on a smaller bucket when called without a filter or pagination
 * ("unfiltered and unpaginated non-mutating actions").
 */
const UNFILTERED_EC2_ACTIONS: ReadonlySet<string> = new Set([
  'DescribeInstances',
  'DescribeNetworkInterfaces',
  'DescribeSecurityGroups',
  'DescribeSnapshots',
  'DescribeSpotInstanceRequests',
  'DescribeVolumes',
]);

/** Request members that filter or page those actions (ids and names narrow them too). */
const NARROWING_MEMBERS = [
  'Filters',
  'MaxResults',
  'NextToken',
  'InstanceIds',
  'GroupIds',
  'GroupNames',
  'NetworkInterfaceIds',
  'SnapshotIds',
  'OwnerIds',
  'RestorableByUserIds',
  'SpotInstanceRequestIds',
  'VolumeIds',
];

/**
 * The buckets a request draws a token from. Every call the agents make is a non-mutating
 * Describe/List/Get/Select, so: EC2 → `ec2Describe`, and for DescribeInstances,
 * DescribeSecurityGroups (and AWS's other four unfiltered-category actions) without any filter,
 * id or page member also `ec2UnfilteredDescribe` (both, the stricter reading: AWS counts such a
 * call in one category, and which one is its business); ELBv2 → `elasticLoadBalancingV2Describe`;
 * Auto Scaling → `autoScaling`; CloudWatch → `cloudWatchDescribeAlarms`; AWS Config →
 * `configService`.
 */
export function rateLimitBuckets(
  service: RateLimitedService,
  operation: string,
  input: Readonly<Record<string, unknown>> | undefined,
): AwsRateLimitBucket[] {
  switch (service) {
    case 'ec2':
      return UNFILTERED_EC2_ACTIONS.has(operation) && !NARROWING_MEMBERS.some((m) => given(input?.[m]))
        ? ['ec2Describe', 'ec2UnfilteredDescribe']
        : ['ec2Describe'];
    case 'elasticLoadBalancingV2':
      return ['elasticLoadBalancingV2Describe'];
    case 'autoScaling':
      return ['autoScaling'];
    case 'cloudWatch':
      return ['cloudWatchDescribeAlarms'];
    case 'configService':
      return ['configService'];
  }
}

function given(value: unknown): boolean {
  return value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0);
}

export interface AwsRateLimiterOptions {
  /** Clock and sleep of the buckets (tests, simulations). */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * AWS's token buckets, one set per account/region, shared by every client of that account/region
 * in this process (agents and targeted refreshes, every attempt): a request waits until each of
 * its buckets has a token, so this process never sends more than `rateLimitShare` of a bucket's
 * capacity at once, nor more than that share of its refill rate over time.
 */
export class AwsRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly aws: Pick<AwsConfig, 'rateLimits' | 'rateLimitShare'>,
    private readonly options: AwsRateLimiterOptions = {},
  ) {}

  /**
   * Takes a token from each bucket of `buckets` of the account/region, waiting as needed; calls
   * `waited` with each bucket's wait in milliseconds (0 when a token was there).
   */
  async take(
    account: string,
    region: string,
    buckets: readonly AwsRateLimitBucket[],
    waited?: (bucket: AwsRateLimitBucket, ms: number) => void,
  ): Promise<void> {
    const now = this.options.now ?? Date.now;
    for (const name of buckets) {
      const started = now();
      await this.bucket(account, region, name).take();
      waited?.(name, now() - started);
    }
  }

  /** The bucket `name` of an account/region (created full on first use). */
  bucket(account: string, region: string, name: AwsRateLimitBucket): TokenBucket {
    const key = `${account}\u0000${region}\u0000${name}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      const { capacity, refillPerSecond } = this.aws.rateLimits[name];
      const share = this.aws.rateLimitShare;
      bucket = new TokenBucket({
        ratePerSecond: refillPerSecond * share,
        burst: Math.max(1, Math.floor(capacity * share)),
        now: this.options.now,
        sleep: this.options.sleep,
      });
      this.buckets.set(key, bucket);
    }
    return bucket;
  }
}
