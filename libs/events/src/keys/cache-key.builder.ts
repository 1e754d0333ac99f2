import { AWS_PROVIDER } from './cache-key.model';
import { parseFriggaName } from './frigga-name.parser';

/*
 * Key builders byte-compatible with Clouddriver's AWS `Keys` classes
 * (`clouddriver-aws` `data/Keys.groovy` and `cache/Keys.groovy`). Clouddriver interpolates null
 * components as the string "null"; the builders do the same where Clouddriver can produce it
 * (target-group and security-group vpcId). Arguments are named because Clouddriver's positional
 * orders differ from key to key.
 */

const P = AWS_PROVIDER;

/** `aws:instances:<account>:<region>:<instanceId>` */
export function instanceKey(p: { account: string; region: string; instanceId: string }): string {
  return `${P}:instances:${p.account}:${p.region}:${p.instanceId}`;
}

/**
 * `aws:serverGroups:<cluster>:<account>:<region>:<serverGroup>`. Without `cluster` the cluster is
 * derived from the server-group name with Frigga; returns undefined when that name does not follow
 * the convention (Clouddriver would write `null` components and cache nothing useful).
 */
export function serverGroupKey(p: {
  account: string;
  region: string;
  serverGroup: string;
  cluster?: string;
}): string | undefined {
  let cluster = p.cluster;
  if (cluster === undefined) {
    const names = parseFriggaName(p.serverGroup);
    if (!names.valid || names.cluster === null) return undefined;
    cluster = names.cluster;
  }
  return `${P}:serverGroups:${cluster}:${p.account}:${p.region}:${p.serverGroup}`;
}

/** `aws:clusters:<application lowercased>:<account>:<cluster>` */
export function clusterKey(p: { application: string; account: string; cluster: string }): string {
  return `${P}:clusters:${p.application.toLowerCase()}:${p.account}:${p.cluster}`;
}

/** `aws:applications:<application lowercased>` */
export function applicationKey(p: { application: string }): string {
  return `${P}:applications:${p.application.toLowerCase()}`;
}

/** `aws:launchTemplates:<account>:<region>:<launchTemplateName>` */
export function launchTemplateKey(p: {
  account: string;
  region: string;
  launchTemplateName: string;
}): string {
  return `${P}:launchTemplates:${p.account}:${p.region}:${p.launchTemplateName}`;
}

/**
 * `aws:loadBalancers:<account>:<region>:<name>[:<vpcId>[:<type>]]`: the vpcId only when set, the
 * type only after a vpcId and only when it is not `classic` (Clouddriver's backwards-compatible form).
 */
export function loadBalancerKey(p: {
  account: string;
  region: string;
  loadBalancerName: string;
  vpcId?: string | null;
  loadBalancerType?: string | null;
}): string {
  let key = `${P}:loadBalancers:${p.account}:${p.region}:${p.loadBalancerName}`;
  if (p.vpcId) {
    key += `:${p.vpcId}`;
    if (p.loadBalancerType && p.loadBalancerType !== 'classic') key += `:${p.loadBalancerType}`;
  }
  return key;
}

/** `aws:targetGroups:<account>:<region>:<name>:<targetType>:<vpcId|null>` */
export function targetGroupKey(p: {
  account: string;
  region: string;
  targetGroupName: string;
  targetType: string;
  vpcId: string | null | undefined;
}): string {
  return `${P}:targetGroups:${p.account}:${p.region}:${p.targetGroupName}:${p.targetType}:${p.vpcId ?? 'null'}`;
}

/** `aws:securityGroups:<name>:<id>:<region>:<account>:<vpcId|null>` */
export function securityGroupKey(p: {
  name: string;
  id: string;
  region: string;
  account: string;
  vpcId: string | null | undefined;
}): string {
  return `${P}:securityGroups:${p.name}:${p.id}:${p.region}:${p.account}:${p.vpcId ?? 'null'}`;
}

/** `aws:subnets:<subnetId>:<account>:<region>` */
export function subnetKey(p: { id: string; account: string; region: string }): string {
  return `${P}:subnets:${p.id}:${p.account}:${p.region}`;
}

/** `aws:vpcs:<vpcId>:<account>:<region>` */
export function vpcKey(p: { id: string; account: string; region: string }): string {
  return `${P}:vpcs:${p.id}:${p.account}:${p.region}`;
}
