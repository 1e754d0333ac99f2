import { SecurityGroup$, Subnet$, Vpc$ } from '@aws-sdk/client-ec2';
import { agentType, CLOUDDRIVER_AGENT, type ClouddriverAgentClass } from '../clouddriver-agents';
import type { ProjectionPlan } from '../plan';
import { toV1 } from '../sdk-v1/v1-attributes';
import type { StoredResource } from './stored-resource';

/**
 * Clouddriver's infrastructure agents (AmazonSecurityGroupCachingAgent, AmazonSubnetCachingAgent,
 * AmazonVpcCachingAgent) store the EC2 object as Netflix's AmazonObjectMapper writes it, with no
 * relationships; subnets also get the account's `accountId`. A security group's permissions have
 * the v1 SDK's `IpPermission` names: the IPv4 ranges are `ipv4Ranges` (see sdk-v1/v1-model.ts);
 * the deprecated `ipRanges` getter (CIDR strings) is ignored by AmazonObjectMapper's mixins.
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
