/** Clouddriver's AWS cache namespaces we build and parse keys for. */
export const CACHE_KEY_TYPES = [
  'instances',
  'serverGroups',
  'clusters',
  'applications',
  'launchTemplates',
  'loadBalancers',
  'targetGroups',
  'securityGroups',
  'subnets',
  'vpcs',
] as const;

export type CacheKeyType = (typeof CACHE_KEY_TYPES)[number];

/** Clouddriver's provider id for AWS: every key starts with `aws:`. */
export const AWS_PROVIDER = 'aws';

interface KeyBase<T extends CacheKeyType> {
  readonly provider: typeof AWS_PROVIDER;
  readonly type: T;
}

export interface InstanceKey extends KeyBase<'instances'> {
  readonly account: string;
  readonly region: string;
  readonly instanceId: string;
}

/**
 * The `details` object Orca matches on-demand entries with. Field names and null-ness follow
 * Clouddriver's `Keys.parse`: `application` is lowercased, `sequence` is the push number as a
 * string (`"3"` for `v003`), absent parts are null.
 */
export interface ServerGroupKey extends KeyBase<'serverGroups'> {
  readonly account: string;
  readonly region: string;
  readonly serverGroup: string;
  readonly cluster: string;
  readonly application: string;
  readonly stack: string | null;
  readonly detail: string | null;
  readonly sequence: string | null;
}

export interface ClusterKey extends KeyBase<'clusters'> {
  readonly application: string;
  readonly account: string;
  readonly cluster: string;
  readonly stack: string | null;
  readonly detail: string | null;
}

export interface ApplicationKey extends KeyBase<'applications'> {
  readonly application: string;
}

export interface LaunchTemplateKey extends KeyBase<'launchTemplates'> {
  readonly account: string;
  readonly region: string;
  readonly launchTemplateName: string;
  readonly application: string | null;
  readonly stack: string | null;
}

/** `classic` when the key carries no type (Clouddriver omits it for classic ELBs). */
export type LoadBalancerType = 'classic' | 'application' | 'network' | 'gateway' | (string & {});

export interface LoadBalancerKey extends KeyBase<'loadBalancers'> {
  readonly account: string;
  readonly region: string;
  readonly loadBalancer: string;
  readonly vpcId: string | null;
  readonly loadBalancerType: LoadBalancerType;
  readonly application: string | null;
  readonly stack: string | null;
  readonly detail: string | null;
}

export interface TargetGroupKey extends KeyBase<'targetGroups'> {
  readonly account: string;
  readonly region: string;
  readonly targetGroup: string;
  /** `instance`, `ip`, `lambda` or `alb` as AWS reports it. */
  readonly targetType: string;
  readonly vpcId: string | null;
  readonly application: string | null;
  readonly stack: string | null;
  readonly detail: string | null;
}

export interface SecurityGroupKey extends KeyBase<'securityGroups'> {
  readonly name: string;
  readonly id: string;
  readonly region: string;
  readonly account: string;
  readonly vpcId: string | null;
  /** Frigga application of the group name, as written (Clouddriver does not lowercase it here). */
  readonly application: string | null;
}

export interface SubnetKey extends KeyBase<'subnets'> {
  readonly id: string;
  readonly account: string;
  readonly region: string;
}

export interface VpcKey extends KeyBase<'vpcs'> {
  readonly id: string;
  readonly account: string;
  readonly region: string;
}

export type ParsedCacheKey =
  | InstanceKey
  | ServerGroupKey
  | ClusterKey
  | ApplicationKey
  | LaunchTemplateKey
  | LoadBalancerKey
  | TargetGroupKey
  | SecurityGroupKey
  | SubnetKey
  | VpcKey;
