import { type Clock } from '../clock.model';
import { type CacheKeyType } from '../keys/cache-key.model';
import { type AccountLookup } from './account.directory';

/** Cache types a refresh can target (clusters and applications follow from their server groups). */
export type RefreshType = Exclude<CacheKeyType, 'clusters' | 'applications'>;

/** What `RefreshTarget.id` is, so the refresher knows which AWS parameter to pass it as. */
export type ResourceIdKind =
  | 'instanceId'
  | 'autoScalingGroupName'
  | 'launchTemplateName'
  | 'launchTemplateId'
  | 'loadBalancerName'
  | 'loadBalancerArn'
  | 'targetGroupName'
  | 'targetGroupArn'
  | 'securityGroupId'
  | 'securityGroupName'
  | 'subnetId'
  | 'vpcId';

/**
 * One resource to re-read from AWS. Never carries resource state: events are hints.
 *
 * Some keys need parts an event may not carry (a security group's key needs name, id and VPC; a
 * load balancer's its VPC and type; a target group's its target type and VPC; a launch template's
 * its name). Then `partial` is true, `key` is a Clouddriver-style glob with `*` for the unknown
 * parts (`aws:securityGroups:*:sg-0abc:us-east-1:prod:*`), and the refresher resolves `id` with
 * one AWS read and writes the complete key. Exact targets coalesce by `key`; use
 * `refreshCoalescingKey()` to coalesce both kinds.
 */
export interface RefreshTarget {
  readonly type: RefreshType;
  /** Spinnaker account name (not the AWS account id). */
  readonly account: string;
  readonly region: string;
  readonly key: string;
  readonly partial: boolean;
  /** The AWS identifier to read (instance id, ASG name, security-group id, ARN, ...). */
  readonly id: string;
  readonly idKind: ResourceIdKind;
}

export type IntervalChange =
  | { readonly mode: 'factor'; readonly factor: number }
  | { readonly mode: 'absolute'; readonly intervalMs: number }
  | { readonly mode: 'reset' };

/** Change the polling interval of the agents filling `types` in one account/region. */
export interface IntervalAdjustment {
  readonly account: string;
  readonly region: string;
  readonly types: readonly CacheKeyType[];
  readonly change: IntervalChange;
  /** Epoch ms after which the change lapses on its own (absent for `reset`). */
  readonly expiresAt?: number;
  /** Machine-readable cause, e.g. `aws_health:AWS_EC2_OPERATIONAL_ISSUE:open`. */
  readonly reason: string;
}

export interface PipelineRef {
  readonly account: string;
  readonly region: string;
}

export type IgnoreReason =
  /** Source / detail-type / API / resource type we do not act on. */
  | 'unsupported_event'
  /** AWS account id not in the accounts config. */
  | 'unknown_account'
  /** Region not configured for the account. */
  | 'unknown_region'
  /** Nothing changed: a failed or read-only API call, an issue status we do not track. */
  | 'no_change'
  /** `autoscaling:TEST_NOTIFICATION`: acknowledge, nothing to do. */
  | 'test_notification'
  /** A heartbeat that arrived after the pipeline it vouches for would already count as unhealthy. */
  | 'stale_heartbeat'
  /** A supported event that names nothing we can cache (e.g. an ASG name outside Frigga). */
  | 'no_targets';

export type Decision =
  | { readonly kind: 'refresh'; readonly eventId: string; readonly targets: readonly RefreshTarget[] }
  | {
      readonly kind: 'adjust_intervals';
      readonly eventId: string;
      readonly adjustments: readonly IntervalAdjustment[];
    }
  | {
      readonly kind: 'heartbeat';
      readonly eventId: string;
      readonly pipelines: readonly PipelineRef[];
      /** Epoch ms: the pipelines count as healthy until then unless another heartbeat arrives. */
      readonly healthyUntil: number;
    }
  | {
      readonly kind: 'ignore';
      readonly eventId: string;
      readonly reason: IgnoreReason;
      readonly message: string;
    };

export type DecisionKind = Decision['kind'];

export interface HeartbeatPolicy {
  /** How often the heartbeat rule fires. Default 60 s. */
  readonly periodMs?: number;
  /** Beats that may be missed before the pipeline counts as unhealthy. Default 2. */
  readonly toleratedMisses?: number;
  /** When set, only Scheduled Events from these rule names count as heartbeats. */
  readonly ruleNames?: readonly string[];
}

export interface HealthIssuePolicy {
  /** Interval factor while an AWS Health issue for the service is open. Default 2 (poll half as often). */
  readonly factor?: number;
  /** The factor lapses after this long even if no `closed` event arrives. Default 1 hour. */
  readonly ttlMs?: number;
}

export interface DecisionContext {
  readonly accounts: AccountLookup;
  readonly clock: Clock;
  readonly heartbeat?: HeartbeatPolicy;
  readonly healthIssues?: HealthIssuePolicy;
}

/** Coalescing identity: the key for exact targets, type/account/region/id for partial ones. */
export function refreshCoalescingKey(target: RefreshTarget): string {
  return target.partial
    ? `${target.type}|${target.account}|${target.region}|${target.idKind}|${target.id}`
    : target.key;
}
