import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ConfigServiceClient } from '@aws-sdk/client-config-service';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { STSClient } from '@aws-sdk/client-sts';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { MetricsRegistry } from '@event-cache/agents';
import { isThrottlingError } from '../aws/aws-errors';
import type { AwsAgentAccount, AwsConfig } from '../aws-agents.model';
import { AssumedRoleCredentials, type AwsCredentialIdentityProvider, roleArn } from './account-credentials';
import { AwsRateLimiter, type RateLimitedService, rateLimitBuckets } from './aws-rate-limits';

export type AwsService = RateLimitedService;

/**
 * The AWS clients the agents use, per account and region. `createAwsAgents` uses an
 * `AwsClientPool` unless given another factory (tests, or a host with its own clients).
 */
export interface AwsClientFactory {
  ec2(account: AwsAgentAccount, region: string): EC2Client;
  autoScaling(account: AwsAgentAccount, region: string): AutoScalingClient;
  elasticLoadBalancingV2(account: AwsAgentAccount, region: string): ElasticLoadBalancingV2Client;
  /** AWS Config in `region`, with the credentials of the account's `configSource`. */
  configService(account: AwsAgentAccount, region: string): ConfigServiceClient;
  /** CloudWatch: the alarms of scaling policies. */
  cloudWatch(account: AwsAgentAccount, region: string): CloudWatchClient;
}

export interface AwsClientPoolOptions {
  /** Credentials used directly (no `assumeRole`) and to call STS. Default: the SDK's provider chain. */
  baseCredentials?: AwsCredentialIdentityProvider;
  /** Passed to every client (tests use a fake HTTP handler). */
  requestHandler?: unknown;
  /** Clock and sleep of the rate limiters (tests). */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** AWS's token buckets to draw from; default: this pool's own, from `aws.rateLimits`. */
  rateLimiter?: AwsRateLimiter;
}

type RequestOutcome = 'ok' | 'throttled' | 'error';
type RequestCounter = {
  inc(labels: Partial<Record<'account' | 'region' | 'service' | 'operation' | 'outcome', string>>): void;
};
type WaitCounter = {
  inc(labels: Partial<Record<'account' | 'region' | 'bucket', string>>, seconds: number): void;
};

type SdkClient =
  EC2Client | AutoScalingClient | ElasticLoadBalancingV2Client | ConfigServiceClient | CloudWatchClient;
type ClientConfig = NonNullable<ConstructorParameters<typeof EC2Client>[0]>;

/**
 * One client per account, region and service, created on first use and reused. Every client:
 * - uses the account's credentials: STS AssumeRole (`assumeRole`, an ARN or `role/<name>`) cached
 *   and refreshed before expiry and shared by all its clients, or the default provider chain;
 * - retries in the SDK's `adaptive` mode (`maxAttempts`), which also slows down on throttling;
 * - takes, on every attempt (retries included), a token of each of AWS's buckets the request
 *   draws from (`rateLimitBuckets`: EC2 Describe, EC2 unfiltered Describe, ELBv2 Describe, Auto
 *   Scaling, CloudWatch DescribeAlarms, AWS Config), shared by every client of its account/region
 *   (`AwsRateLimiter`, `aws.rateLimits` × `aws.rateLimitShare`), so agents and targeted refreshes
 *   together stay within what AWS allows;
 * - talks to `endpoints.<service>` / `endpoint` when configured, else wherever the SDK resolves
 *   (`AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`, then AWS).
 */
export class AwsClientPool implements AwsClientFactory {
  private readonly clients = new Map<string, SdkClient>();
  private readonly limiter: AwsRateLimiter;
  private readonly roles = new Map<string, AssumedRoleCredentials>();
  private readonly sts = new Map<string, STSClient>();
  private baseCredentials: AwsCredentialIdentityProvider | undefined;
  private requests: RequestCounter | undefined;
  private waits: WaitCounter | undefined;

  constructor(
    private readonly aws: AwsConfig,
    private readonly options: AwsClientPoolOptions = {},
  ) {
    this.baseCredentials = options.baseCredentials;
    this.limiter = options.rateLimiter ?? new AwsRateLimiter(aws, { now: options.now, sleep: options.sleep });
  }

  ec2(account: AwsAgentAccount, region: string): EC2Client {
    return this.client('ec2', account, region, account.assumeRole, (c) => new EC2Client(c));
  }

  autoScaling(account: AwsAgentAccount, region: string): AutoScalingClient {
    return this.client('autoScaling', account, region, account.assumeRole, (c) => new AutoScalingClient(c));
  }

  elasticLoadBalancingV2(account: AwsAgentAccount, region: string): ElasticLoadBalancingV2Client {
    return this.client(
      'elasticLoadBalancingV2',
      account,
      region,
      account.assumeRole,
      (c) => new ElasticLoadBalancingV2Client(c),
    );
  }

  configService(account: AwsAgentAccount, region: string): ConfigServiceClient {
    const role = account.configSource?.assumeRole ?? account.assumeRole;
    return this.client('configService', account, region, role, (c) => new ConfigServiceClient(c));
  }

  cloudWatch(account: AwsAgentAccount, region: string): CloudWatchClient {
    return this.client('cloudWatch', account, region, account.assumeRole, (c) => new CloudWatchClient(c));
  }

  /**
   * Counts every request attempt (retries included) in `event_cache_aws_requests_total{account,
   * region, service, operation, outcome}`, outcome `ok`, `throttled` or `error`, and the time
   * requests waited for a token in `event_cache_aws_rate_limit_wait_seconds_total{account, region,
   * bucket}`. Bound once the host's metrics registry exists; requests before that are not counted.
   */
  bindMetrics(registry: MetricsRegistry): void {
    this.requests ??= registry.counter({
      name: 'aws_requests_total',
      help: 'AWS API request attempts (retries included) by account, region, service, operation and outcome (ok, throttled, error)',
      labelNames: ['account', 'region', 'service', 'operation', 'outcome'],
    });
    this.waits ??= registry.counter({
      name: 'aws_rate_limit_wait_seconds_total',
      help: "Seconds AWS requests waited for a token of AWS's per-account/region bucket (aws.rateLimits)",
      labelNames: ['account', 'region', 'bucket'],
    });
  }

  /** Closes every client's connections. */
  destroy(): void {
    for (const client of this.clients.values()) client.destroy();
    for (const client of this.sts.values()) client.destroy();
    this.clients.clear();
    this.sts.clear();
  }

  private client<C extends SdkClient>(
    service: AwsService,
    account: AwsAgentAccount,
    region: string,
    assumeRole: string | undefined,
    create: (config: ClientConfig) => C,
  ): C {
    const key = `${account.name}|${region}|${service}|${assumeRole ?? ''}`;
    const existing = this.clients.get(key);
    if (existing) return existing as C;
    const client = create({
      region,
      credentials: this.credentials(account, assumeRole),
      retryMode: 'adaptive',
      maxAttempts: this.aws.maxAttempts,
      ...this.endpoint(service),
      ...(this.options.requestHandler !== undefined && {
        requestHandler: this.options.requestHandler as ClientConfig['requestHandler'],
      }),
    });
    // After retryMiddleware in the same step: runs once per attempt.
    (client.middlewareStack as EC2Client['middlewareStack']).add(
      (next, context) => async (args) => {
        const operation = (context.commandName ?? 'unknown').replace(/Command$/, '');
        await this.limiter.take(
          account.name,
          region,
          rateLimitBuckets(service, operation, args.input as Record<string, unknown>),
          (bucket, ms) => {
            if (ms > 0) this.waits?.inc({ account: account.name, region, bucket }, ms / 1_000);
          },
        );
        const count = (outcome: RequestOutcome) =>
          this.requests?.inc({ account: account.name, region, service, operation, outcome });
        try {
          const result = await next(args);
          count('ok');
          return result;
        } catch (error) {
          count(isThrottlingError(error) ? 'throttled' : 'error');
          throw error;
        }
      },
      { step: 'finalizeRequest', priority: 'low', name: 'eventCacheRateLimit' },
    );
    this.clients.set(key, client);
    return client;
  }

  private endpoint(service: AwsService | 'sts'): { endpoint?: string } {
    const endpoint = this.aws.endpoints[service] ?? this.aws.endpoint;
    return endpoint === undefined ? {} : { endpoint };
  }

  private base(): AwsCredentialIdentityProvider {
    this.baseCredentials ??= fromNodeProviderChain();
    return this.baseCredentials;
  }

  private credentials(
    account: AwsAgentAccount,
    assumeRole: string | undefined,
  ): AwsCredentialIdentityProvider {
    if (assumeRole === undefined) return this.base();
    const arn = roleArn(assumeRole, account.accountId);
    let role = this.roles.get(arn);
    if (!role) {
      role = new AssumedRoleCredentials({
        sts: this.stsClient(account.regions[0]?.name ?? 'us-east-1'),
        roleArn: arn,
        sessionName: this.aws.assumeRoleSessionName,
        durationSeconds: this.aws.assumeRoleDurationSeconds,
      });
      this.roles.set(arn, role);
    }
    return role.provider;
  }

  private stsClient(region: string): STSClient {
    let sts = this.sts.get(region);
    if (!sts) {
      sts = new STSClient({
        region,
        credentials: this.base(),
        retryMode: 'adaptive',
        maxAttempts: this.aws.maxAttempts,
        ...this.endpoint('sts'),
        ...(this.options.requestHandler !== undefined && {
          requestHandler: this.options.requestHandler as ClientConfig['requestHandler'],
        }),
      });
      this.sts.set(region, sts);
    }
    return sts;
  }
}
