import { SecurityGroup$, Subnet$, Vpc$ } from '@aws-sdk/client-ec2';
import { agentType, CLOUDDRIVER_AGENT, type ClouddriverAgentClass } from '../clouddriver-agents';
import type { ProjectionPlan } from '../plan';
import { toV1 } from '../sdk-v1/v1-attributes';
import { list, obj, type StoredResource } from './stored-resource';

/**
 * Clouddriver's infrastructure agents (AmazonSecurityGroupCachingAgent, AmazonSubnetCachingAgent,
 * AmazonVpcCachingAgent) store the EC2 object as Netflix's AmazonObjectMapper writes it, with no
 * relationships; subnets also get the account's `accountId`. A security group's permissions have
 * the v1 SDK's `IpPermission` names: `ipv4Ranges` for the IPv4 ranges and the deprecated
 * `ipRanges`, their CIDRs as strings (see `v1IpPermission`).
 */
const SHAPES: Record<string, { schema: unknown; agent: ClouddriverAgentClass }> = {
  securityGroups: { schema: SecurityGroup$, agent: CLOUDDRIVER_AGENT.securityGroup },
  subnets: { schema: Subnet$, agent: CLOUDDRIVER_AGENT.subnet },
  vpcs: { schema: Vpc$, agent: CLOUDDRIVER_AGENT.vpc },
};

export function projectNetworkResource(
  resource: StoredResource,
  accountIds: ReadonlyMap<string, string>,
  plan: ProjectionPlan,
): void {
  const shape = SHAPES[resource.type];
  if (!shape || !resource.account || !resource.region) return;
  const attributes = toV1(shape.schema, resource.attributes, 'amazon');
  if (resource.type === 'securityGroups') {
    for (const field of ['ipPermissions', 'ipPermissionsEgress']) {
      attributes[field] = list(attributes[field]).map(v1IpPermission);
    }
  }
  if (resource.type === 'subnets' && attributes.accountId === undefined) {
    const accountId = accountIds.get(resource.account);
    if (accountId !== undefined) attributes.accountId = accountId;
  }
  plan.upsert({
    type: resource.type,
    agent: agentType(resource.account, resource.region, shape.agent),
    data: { id: resource.key, attributes, relationships: {}, ttlSeconds: -1 },
  });
}

export const NETWORK_TYPES = Object.keys(SHAPES);

/**
 * The AWS SDK for Java v1 `IpPermission` as AmazonObjectMapper writes it: the IPv4 ranges are
 * `ipv4Ranges` (`[{cidrIp, description}]`, v3's `IpRanges`), and the deprecated getter `ipRanges`
 * lists their CIDRs as strings. Clouddriver's AmazonSecurityGroupProvider reads the rules with
 * `convertValue(attributes, SecurityGroup)` then `ipPermissions[].ipv4Ranges`: range objects under
 * `ipRanges` fail that conversion (`setIpRanges(Collection<String>)`) for every security group
 * view with rules, and without `ipv4Ranges` no IPv4 rule shows.
 */
function v1IpPermission(permission: unknown): Record<string, unknown> {
  const { ipRanges, ...rest } = obj(permission);
  const ipv4Ranges = list(ipRanges).map(obj);
  return { ...rest, ipv4Ranges, ipRanges: ipv4Ranges.map((range) => range.cidrIp ?? null) };
}
