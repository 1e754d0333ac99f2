import { DescribeSubnetsCommand, DescribeVpcsCommand, type Subnet, type Vpc } from '@aws-sdk/client-ec2';
import type { CacheRecord } from '@event-cache/agents';
import { subnetKey, vpcKey } from '@event-cache/events';
import { attributesOf, str } from '../aws/attributes';
import { allPages, eachPage } from '../aws/batching';
import {
  CONFIG_RESOURCE_TYPES,
  ConfigSourceReader,
  unprocessedFailures,
} from '../config-source/config-source.reader';
import { AWS_AGENT_KINDS } from '../aws-agents.model';
import { AwsCachingAgent, type AwsScope } from './aws-caching-agent';
import { AwsTargetedRefresher, type IdReader, readInChunks, recordsById } from './aws-targeted-refresher';

const PAGE_SIZE = 1_000;
/** Values per `subnet-id` / `vpc-id` filter (EC2 allows 200); filters never fail on unknown ids. */
const IDS_PER_CALL = 200;

/** A subnet record: attributes = the EC2 `Subnet` in camelCase; relationship to its VPC. */
export function subnetRecord(attributes: Record<string, unknown>, scope: AwsScope): CacheRecord | undefined {
  const id = str(attributes.subnetId);
  if (id === undefined) return undefined;
  const account = scope.account.name;
  const region = scope.region;
  const vpcId = str(attributes.vpcId);
  return {
    key: subnetKey({ id, account, region }),
    type: 'subnets',
    account,
    region,
    attributes,
    relationships: vpcId === undefined ? {} : { vpcs: [vpcKey({ id: vpcId, account, region })] },
  };
}

/** A VPC record: attributes = the EC2 `Vpc` in camelCase. */
export function vpcRecord(attributes: Record<string, unknown>, scope: AwsScope): CacheRecord | undefined {
  const id = str(attributes.vpcId);
  if (id === undefined) return undefined;
  const account = scope.account.name;
  return {
    key: vpcKey({ id, account, region: scope.region }),
    type: 'vpcs',
    account,
    region: scope.region,
    attributes,
  };
}

/** Every subnet of the region, as raw SDK objects (the cluster agent maps subnets to VPCs with them). */
export async function describeAllSubnets(scope: AwsScope, signal: AbortSignal): Promise<Subnet[]> {
  const ec2 = scope.clients.ec2(scope.account, scope.region);
  const pages = await allPages(
    signal,
    (NextToken) =>
      ec2.send(new DescribeSubnetsCommand({ MaxResults: PAGE_SIZE, NextToken }), { abortSignal: signal }),
    (page) => page.NextToken,
  );
  return pages.flatMap((p) => p.Subnets ?? []);
}

/** Subnets by id with the `subnet-id` filter (200 per call); unknown ids are simply absent. */
export async function describeSubnetsById(
  scope: AwsScope,
  ids: string[],
  signal: AbortSignal,
): Promise<Subnet[]> {
  const ec2 = scope.clients.ec2(scope.account, scope.region);
  const pages = await allPages(
    signal,
    (NextToken) =>
      ec2.send(
        new DescribeSubnetsCommand({
          Filters: [{ Name: 'subnet-id', Values: ids }],
          MaxResults: PAGE_SIZE,
          NextToken,
        }),
        { abortSignal: signal },
      ),
    (page) => page.NextToken,
  );
  return pages.flatMap((p) => p.Subnets ?? []);
}

/** Every subnet of the account/region, a page at a time (DescribeSubnets, 1,000 per page). */
export async function* subnetPages(scope: AwsScope, signal: AbortSignal): AsyncGenerator<CacheRecord[]> {
  if (scope.account.configSource) {
    yield* new ConfigSourceReader(scope).selectPages(CONFIG_RESOURCE_TYPES.subnets, signal, (c) =>
      subnetRecord(c, scope),
    );
    return;
  }
  const ec2 = scope.clients.ec2(scope.account, scope.region);
  const pages = eachPage(
    signal,
    (NextToken) =>
      ec2.send(new DescribeSubnetsCommand({ MaxResults: PAGE_SIZE, NextToken }), { abortSignal: signal }),
    (page) => page.NextToken,
  );
  for await (const page of pages)
    yield (page.Subnets ?? []).flatMap((s) => subnetRecord(attributesOf(s), scope) ?? []);
}

export const readSubnetsById: IdReader = (scope, ids, signal) =>
  readInChunks(ids, IDS_PER_CALL, signal, async (part) => {
    if (scope.account.configSource) {
      const reader = new ConfigSourceReader(scope);
      const { items, unprocessed } = await reader.batchGet(CONFIG_RESOURCE_TYPES.subnets, part, signal);
      return {
        byId: recordsById(
          items,
          (i) => i.resourceId,
          (i) => subnetRecord(i.configuration, scope),
        ),
        failed: unprocessedFailures(unprocessed),
      };
    }
    const subnets = await describeSubnetsById(scope, part, signal);
    return recordsById(
      subnets,
      (s) => s.SubnetId,
      (s) => subnetRecord(attributesOf(s), scope),
    );
  });

/** Every VPC of the account/region, a page at a time (DescribeVpcs, 1,000 per page). */
export async function* vpcPages(scope: AwsScope, signal: AbortSignal): AsyncGenerator<CacheRecord[]> {
  if (scope.account.configSource) {
    yield* new ConfigSourceReader(scope).selectPages(CONFIG_RESOURCE_TYPES.vpcs, signal, (c) =>
      vpcRecord(c, scope),
    );
    return;
  }
  const ec2 = scope.clients.ec2(scope.account, scope.region);
  const pages = eachPage(
    signal,
    (NextToken) =>
      ec2.send(new DescribeVpcsCommand({ MaxResults: PAGE_SIZE, NextToken }), { abortSignal: signal }),
    (page) => page.NextToken,
  );
  for await (const page of pages)
    yield (page.Vpcs ?? []).flatMap((v: Vpc) => vpcRecord(attributesOf(v), scope) ?? []);
}

export const readVpcsById: IdReader = (scope, ids, signal) =>
  readInChunks(ids, IDS_PER_CALL, signal, async (part) => {
    if (scope.account.configSource) {
      const reader = new ConfigSourceReader(scope);
      const { items, unprocessed } = await reader.batchGet(CONFIG_RESOURCE_TYPES.vpcs, part, signal);
      return {
        byId: recordsById(
          items,
          (i) => i.resourceId,
          (i) => vpcRecord(i.configuration, scope),
        ),
        failed: unprocessedFailures(unprocessed),
      };
    }
    const ec2 = scope.clients.ec2(scope.account, scope.region);
    const pages = await allPages(
      signal,
      (NextToken) =>
        ec2.send(
          new DescribeVpcsCommand({
            Filters: [{ Name: 'vpc-id', Values: part }],
            MaxResults: PAGE_SIZE,
            NextToken,
          }),
          { abortSignal: signal },
        ),
      (page) => page.NextToken,
    );
    return recordsById(
      pages.flatMap((p) => p.Vpcs ?? []),
      (v) => v.VpcId,
      (v) => vpcRecord(attributesOf(v), scope),
    );
  });

/** Clouddriver's SubnetCachingAgent. */
export class SubnetCachingAgent extends AwsCachingAgent {
  static readonly KIND = AWS_AGENT_KINDS.subnets;
  readonly authoritativeTypes = ['subnets'] as const;

  constructor(scope: AwsScope) {
    super(scope, SubnetCachingAgent.KIND);
  }

  protected pages(signal: AbortSignal): AsyncIterable<CacheRecord[]> {
    return subnetPages(this.scope, signal);
  }
}

/** Clouddriver's VpcCachingAgent. */
export class VpcCachingAgent extends AwsCachingAgent {
  static readonly KIND = AWS_AGENT_KINDS.vpcs;
  readonly authoritativeTypes = ['vpcs'] as const;

  constructor(scope: AwsScope) {
    super(scope, VpcCachingAgent.KIND);
  }

  protected pages(signal: AbortSignal): AsyncIterable<CacheRecord[]> {
    return vpcPages(this.scope, signal);
  }
}

export class SubnetRefresher extends AwsTargetedRefresher {
  readonly types = ['subnets'] as const;
  protected readonly agentKind = SubnetCachingAgent.KIND;

  protected readers() {
    return { subnetId: readSubnetsById };
  }
}

export class VpcRefresher extends AwsTargetedRefresher {
  readonly types = ['vpcs'] as const;
  protected readonly agentKind = VpcCachingAgent.KIND;

  protected readers() {
    return { vpcId: readVpcsById };
  }
}
