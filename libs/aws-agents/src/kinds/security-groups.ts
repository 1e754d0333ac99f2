import { DescribeSecurityGroupsCommand, type SecurityGroup } from '@aws-sdk/client-ec2';
import type { CacheRecord } from '@event-cache/agents';
import { parseFriggaName, securityGroupKey, vpcKey } from '@event-cache/events';
import { attributesOf, str } from '../aws/attributes';
import { idsNamedInError, NOT_FOUND_ERROR_NAMES } from '../aws/aws-errors';
import { allPages, eachPage, readIsolatingMissing } from '../aws/batching';
import {
  CONFIG_RESOURCE_TYPES,
  ConfigSourceReader,
  unprocessedFailures,
} from '../config-source/config-source.reader';
import { AWS_AGENT_KINDS } from '../aws-agents.model';
import { AwsCachingAgent, type AwsScope } from './aws-caching-agent';
import { AwsTargetedRefresher, type IdReader, readInChunks, recordsById } from './aws-targeted-refresher';

const PAGE_SIZE = 1_000;
/** Ids per DescribeSecurityGroups call, and values per `group-name` filter (EC2 allows 200). */
const IDS_PER_CALL = 200;
const GROUP_ID = /\bsg-[0-9a-f]{8,17}\b/g;

/**
 * A security group record: attributes = the EC2 `SecurityGroup` in camelCase (rules included);
 * key `aws:securityGroups:<name>:<id>:<region>:<account>:<vpcId|null>`; relationship to its VPC.
 */
export function securityGroupRecord(
  attributes: Record<string, unknown>,
  scope: AwsScope,
): CacheRecord | undefined {
  const id = str(attributes.groupId);
  const name = str(attributes.groupName);
  if (id === undefined || name === undefined) return undefined;
  const account = scope.account.name;
  const region = scope.region;
  const vpcId = str(attributes.vpcId) ?? null;
  const app = parseFriggaName(name).app;
  return {
    key: securityGroupKey({ name, id, region, account, vpcId }),
    type: 'securityGroups',
    account,
    region,
    application: app === null ? null : app.toLowerCase(),
    attributes,
    relationships: vpcId === null ? {} : { vpcs: [vpcKey({ id: vpcId, account, region })] },
  };
}

/** Config records rules with extra SDK v1 fields (`ipRanges` as plain strings); drop them. */
function fromConfig(configuration: Record<string, unknown>): Record<string, unknown> {
  const rules = (value: unknown) =>
    Array.isArray(value)
      ? value.map((rule: Record<string, unknown>) => {
          const { ipRanges: _ipRanges, ...rest } = rule;
          return rest;
        })
      : value;
  return {
    ...configuration,
    ipPermissions: rules(configuration.ipPermissions),
    ipPermissionsEgress: rules(configuration.ipPermissionsEgress),
  };
}

function fromSdk(scope: AwsScope) {
  return (group: SecurityGroup) => securityGroupRecord(attributesOf(group), scope);
}

/** Every security group of the account/region, a page at a time (DescribeSecurityGroups, 1,000 per page). */
export async function* securityGroupPages(
  scope: AwsScope,
  signal: AbortSignal,
): AsyncGenerator<CacheRecord[]> {
  if (scope.account.configSource) {
    yield* new ConfigSourceReader(scope).selectPages(CONFIG_RESOURCE_TYPES.securityGroups, signal, (c) =>
      securityGroupRecord(fromConfig(c), scope),
    );
    return;
  }
  const ec2 = scope.clients.ec2(scope.account, scope.region);
  yield* eachPage(
    signal,
    (NextToken) =>
      ec2.send(new DescribeSecurityGroupsCommand({ MaxResults: PAGE_SIZE, NextToken }), {
        abortSignal: signal,
      }),
    (page) => page.NextToken,
    (page) => (page.SecurityGroups ?? []).flatMap((g) => fromSdk(scope)(g) ?? []),
  );
}

/** By id: DescribeSecurityGroups with GroupIds; `InvalidGroup.NotFound` isolates the gone ids. */
export const readSecurityGroupsById: IdReader = (scope, ids, signal) => {
  if (scope.account.configSource) {
    return readInChunks(ids, IDS_PER_CALL, signal, async (part) => {
      const reader = new ConfigSourceReader(scope);
      const { items, unprocessed } = await reader.batchGet(
        CONFIG_RESOURCE_TYPES.securityGroups,
        part,
        signal,
      );
      return {
        byId: recordsById(
          items,
          (i) => i.resourceId,
          (i) => securityGroupRecord(fromConfig(i.configuration), scope),
        ),
        failed: unprocessedFailures(unprocessed),
      };
    });
  }
  const ec2 = scope.clients.ec2(scope.account, scope.region);
  return readInChunks(ids, IDS_PER_CALL, signal, async (part) => {
    const { found } = await readIsolatingMissing(
      part,
      async (GroupIds) => {
        const pages = await allPages(
          signal,
          (NextToken) =>
            ec2.send(new DescribeSecurityGroupsCommand({ GroupIds, NextToken }), { abortSignal: signal }),
          (page) => page.NextToken,
        );
        return pages.flatMap((p) => p.SecurityGroups ?? []);
      },
      { notFound: NOT_FOUND_ERROR_NAMES.securityGroup, idsInError: (e) => idsNamedInError(e, GROUP_ID) },
    );
    return recordsById(found, (g) => g.GroupId, fromSdk(scope));
  });
};

/**
 * By name (any VPC: a name can exist once per VPC, so one name may resolve to several keys):
 * the `group-name` filter, which never fails on unknown names.
 */
export const readSecurityGroupsByName: IdReader = (scope, names, signal) => {
  if (scope.account.configSource) {
    return readInChunks(names, IDS_PER_CALL, signal, async (part) => {
      const reader = new ConfigSourceReader(scope);
      const items = await reader.selectWhere(
        CONFIG_RESOURCE_TYPES.securityGroups,
        'configuration.groupName',
        part,
        signal,
      );
      return recordsById(
        items,
        (i) => str(i.configuration.groupName),
        (i) => securityGroupRecord(fromConfig(i.configuration), scope),
      );
    });
  }
  const ec2 = scope.clients.ec2(scope.account, scope.region);
  return readInChunks(names, IDS_PER_CALL, signal, async (part) => {
    const pages = await allPages(
      signal,
      (NextToken) =>
        ec2.send(
          new DescribeSecurityGroupsCommand({
            Filters: [{ Name: 'group-name', Values: part }],
            MaxResults: PAGE_SIZE,
            NextToken,
          }),
          { abortSignal: signal },
        ),
      (page) => page.NextToken,
    );
    return recordsById(
      pages.flatMap((p) => p.SecurityGroups ?? []),
      (g) => g.GroupName,
      fromSdk(scope),
    );
  });
};

/** Clouddriver's SecurityGroupCachingAgent. */
export class SecurityGroupCachingAgent extends AwsCachingAgent {
  static readonly KIND = AWS_AGENT_KINDS.securityGroups;
  readonly authoritativeTypes = ['securityGroups'] as const;

  constructor(scope: AwsScope) {
    super(scope, SecurityGroupCachingAgent.KIND);
  }

  protected pages(signal: AbortSignal): AsyncIterable<CacheRecord[]> {
    return securityGroupPages(this.scope, signal);
  }
}

/** Targeted refreshes of `securityGroups` by group id or by name (partial targets resolved). */
export class SecurityGroupRefresher extends AwsTargetedRefresher {
  readonly types = ['securityGroups'] as const;
  protected readonly agentKind = SecurityGroupCachingAgent.KIND;

  protected readers() {
    return { securityGroupId: readSecurityGroupsById, securityGroupName: readSecurityGroupsByName };
  }
}
