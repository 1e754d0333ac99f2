import {
  BatchGetAggregateResourceConfigCommand,
  BatchGetResourceConfigCommand,
  type ConfigServiceClient,
  SelectAggregateResourceConfigCommand,
  SelectResourceConfigCommand,
} from '@aws-sdk/client-config-service';
import { batchesOf, chunk, collect, eachPage, mapConcurrently } from '../aws/batching';
import type { AwsScope } from '../kinds/aws-caching-agent';

/** AWS Config resource types the Config source reads, by cache type. */
export const CONFIG_RESOURCE_TYPES = {
  instances: 'AWS::EC2::Instance',
  securityGroups: 'AWS::EC2::SecurityGroup',
  subnets: 'AWS::EC2::Subnet',
  vpcs: 'AWS::EC2::VPC',
} as const;
export type ConfigResourceType = (typeof CONFIG_RESOURCE_TYPES)[keyof typeof CONFIG_RESOURCE_TYPES];

/** A configuration item as the Config source hands it on. */
export interface ConfigItem {
  resourceId: string;
  resourceName?: string;
  /** The resource's configuration: AWS's object in camelCase, like our attributes. */
  configuration: Record<string, unknown>;
}

const DELETED = new Set(['ResourceDeleted', 'ResourceDeletedNotRecorded', 'ResourceNotRecorded']);
/** SelectResourceConfig pages hold at most 100 results; BatchGet takes at most 100 keys. */
const PAGE = 100;
/** Items per batch of a streamed listing. */
const SELECT_BATCH = 1_000;

/**
 * Reads inventory through AWS Config: advanced queries (`SelectResourceConfig`, or
 * `SelectAggregateResourceConfig` against the account's aggregator) for full reads, and
 * `BatchGetResourceConfig` / `BatchGetAggregateResourceConfig` (100 ids per call) for targeted
 * ones. Deleted items count as gone. Config is eventually consistent: it can lag a change by minutes.
 */
export class ConfigSourceReader {
  private readonly client: ConfigServiceClient;
  private readonly aggregatorName: string | undefined;

  constructor(private readonly scope: AwsScope) {
    const source = scope.account.configSource ?? {};
    this.aggregatorName = source.aggregatorName;
    const region = this.aggregatorName ? (source.region ?? scope.region) : scope.region;
    this.client = scope.clients.configService(scope.account, region);
  }

  /** Every current item of `resourceType` in the scope's account and region, all pages. */
  async selectAll(resourceType: ConfigResourceType, signal: AbortSignal): Promise<ConfigItem[]> {
    return this.select(`resourceType = '${resourceType}'`, signal);
  }

  /**
   * The same as records (`toRecord` of each item's configuration; undefined leaves it out), in
   * batches of about 1,000 items (ten of Config's pages): the pages after a batch are read once it
   * has been handed on and the next one is asked for.
   */
  async *selectPages<R>(
    resourceType: ConfigResourceType,
    signal: AbortSignal,
    toRecord: (configuration: Record<string, unknown>) => R | undefined,
  ): AsyncGenerator<R[]> {
    const batches = batchesOf(this.selectEachPage(`resourceType = '${resourceType}'`, signal), SELECT_BATCH);
    for await (const items of batches) yield items.flatMap((item) => toRecord(item.configuration) ?? []);
  }

  /** Items matching an extra condition (values are quoted here). */
  async selectWhere(
    resourceType: ConfigResourceType,
    property: string,
    values: readonly string[],
    signal: AbortSignal,
  ): Promise<ConfigItem[]> {
    const list = values.map(quote).join(', ');
    return this.select(`resourceType = '${resourceType}' AND ${property} IN (${list})`, signal);
  }

  /** Items by id, 100 per call; ids Config does not return (or returns deleted) are absent. */
  async batchGet(
    resourceType: ConfigResourceType,
    ids: readonly string[],
    signal: AbortSignal,
  ): Promise<{ items: ConfigItem[]; unprocessed: string[] }> {
    const parts = await mapConcurrently(chunk(ids, PAGE), 2, (part) =>
      this.aggregatorName
        ? this.batchGetAggregate(resourceType, part, signal)
        : this.batchGetLocal(resourceType, part, signal),
    );
    return {
      items: parts.flatMap((p) => p.items),
      unprocessed: parts.flatMap((p) => p.unprocessed),
    };
  }

  private select(condition: string, signal: AbortSignal): Promise<ConfigItem[]> {
    return collect(this.selectEachPage(condition, signal));
  }

  private async *selectEachPage(condition: string, signal: AbortSignal): AsyncGenerator<ConfigItem[]> {
    const { account, region } = this.scope;
    const expression =
      'SELECT resourceId, resourceName, configuration, configurationItemStatus ' +
      `WHERE ${condition} AND accountId = ${quote(account.accountId)} AND awsRegion = ${quote(region)}`;
    const aggregatorName = this.aggregatorName;
    const pages = eachPage(
      signal,
      (NextToken) =>
        aggregatorName
          ? this.client.send(
              new SelectAggregateResourceConfigCommand({
                ConfigurationAggregatorName: aggregatorName,
                Expression: expression,
                Limit: PAGE,
                NextToken,
              }),
              { abortSignal: signal },
            )
          : this.client.send(
              new SelectResourceConfigCommand({ Expression: expression, Limit: PAGE, NextToken }),
              {
                abortSignal: signal,
              },
            ),
      (page) => page.NextToken,
    );
    for await (const page of pages) {
      const items: ConfigItem[] = [];
      for (const text of page.Results ?? []) {
        const row = JSON.parse(text) as Record<string, unknown>;
        const item = toItem(row.resourceId, row.resourceName, row.configuration, row.configurationItemStatus);
        if (item) items.push(item);
      }
      yield items;
    }
  }

  private async batchGetLocal(
    resourceType: ConfigResourceType,
    ids: string[],
    signal: AbortSignal,
  ): Promise<{ items: ConfigItem[]; unprocessed: string[] }> {
    const out = await this.client.send(
      new BatchGetResourceConfigCommand({
        resourceKeys: ids.map((resourceId) => ({ resourceType, resourceId })),
      }),
      { abortSignal: signal },
    );
    return {
      items: (out.baseConfigurationItems ?? []).flatMap((ci) => {
        const item = toItem(ci.resourceId, ci.resourceName, ci.configuration, ci.configurationItemStatus);
        return item ? [item] : [];
      }),
      unprocessed: (out.unprocessedResourceKeys ?? []).flatMap((k) => (k.resourceId ? [k.resourceId] : [])),
    };
  }

  private async batchGetAggregate(
    resourceType: ConfigResourceType,
    ids: string[],
    signal: AbortSignal,
  ): Promise<{ items: ConfigItem[]; unprocessed: string[] }> {
    const { account, region } = this.scope;
    const out = await this.client.send(
      new BatchGetAggregateResourceConfigCommand({
        ConfigurationAggregatorName: this.aggregatorName,
        ResourceIdentifiers: ids.map((ResourceId) => ({
          SourceAccountId: account.accountId,
          SourceRegion: region,
          ResourceId,
          ResourceType: resourceType,
        })),
      }),
      { abortSignal: signal },
    );
    return {
      items: (out.BaseConfigurationItems ?? []).flatMap((ci) => {
        const item = toItem(ci.resourceId, ci.resourceName, ci.configuration, ci.configurationItemStatus);
        return item ? [item] : [];
      }),
      unprocessed: (out.UnprocessedResourceIdentifiers ?? []).flatMap((k) =>
        k.ResourceId ? [k.ResourceId] : [],
      ),
    };
  }
}

/** Ids Config left unprocessed (it throttles BatchGet this way): failed, to be retried. */
export function unprocessedFailures(ids: readonly string[]): Map<string, string> {
  return new Map(ids.map((id) => [id, 'UnprocessedResource: AWS Config left it unprocessed; retry later']));
}

function toItem(
  resourceId: unknown,
  resourceName: unknown,
  configuration: unknown,
  status: unknown,
): ConfigItem | undefined {
  if (typeof resourceId !== 'string' || (typeof status === 'string' && DELETED.has(status))) return undefined;
  // Select results carry the configuration as an object, BatchGet as a JSON string.
  const parsed: unknown = typeof configuration === 'string' ? JSON.parse(configuration) : configuration;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  return {
    resourceId,
    ...(typeof resourceName === 'string' && { resourceName }),
    configuration: parsed as Record<string, unknown>,
  };
}

/** A single-quoted literal of Config's query language ('' escapes a quote). */
function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
