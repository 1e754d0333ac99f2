import type {
  CacheRecord,
  FollowUpRefresh,
  RefreshBatch,
  RefreshItem,
  RefreshOutcome,
  TargetedRefresher,
} from '@event-cache/agents';
import type { ResourceIdKind } from '@event-cache/events';
import { describeAwsError } from '../aws/aws-errors';
import { chunk, mapConcurrently, unique } from '../aws/batching';
import type { AwsClientFactory } from '../clients/aws-client.factory';
import { type AwsAgentAccount, type AwsAgentKind, agentId } from '../aws-agents.model';
import type { AwsScope } from './aws-caching-agent';

/** What a batched read by ids returned. Ids in neither map are gone from AWS. */
export interface IdReadResult {
  /** Records found per requested id (several when a name matches in several VPCs). */
  byId: Map<string, CacheRecord[]>;
  /** Ids whose read failed (throttled, access denied ...), with `<ErrorName>: <message>`. */
  failed: Map<string, string>;
  /** Records written along with the found ones (a server group's cluster and application). */
  companions?: CacheRecord[];
}

/** Reads many ids of one kind with as few AWS calls as the API allows. */
export type IdReader = (scope: AwsScope, ids: string[], signal: AbortSignal) => Promise<IdReadResult>;

/** Chunks processed at once per batch; the rate limiter still paces the calls. */
const CHUNK_CONCURRENCY = 4;

/**
 * Splits `ids` into chunks of `size`, reads them (`read` returns the records per id it found, and
 * optionally ids it could not read) and turns a chunk's error into failures of that chunk's ids
 * only. An abort rejects.
 */
export async function readInChunks(
  ids: readonly string[],
  size: number,
  signal: AbortSignal,
  read: (ids: string[]) => Promise<Map<string, CacheRecord[]> | Omit<IdReadResult, 'companions'>>,
): Promise<IdReadResult> {
  const result: IdReadResult = { byId: new Map(), failed: new Map() };
  await mapConcurrently(chunk(unique(ids), size), CHUNK_CONCURRENCY, async (part) => {
    try {
      const chunkResult = await read(part);
      const { byId, failed } =
        chunkResult instanceof Map ? { byId: chunkResult, failed: undefined } : chunkResult;
      for (const [id, records] of byId) result.byId.set(id, records);
      for (const [id, error] of failed ?? []) result.failed.set(id, error);
    } catch (error) {
      signal.throwIfAborted();
      const text = describeAwsError(error);
      for (const id of part) result.failed.set(id, text);
    }
  });
  signal.throwIfAborted();
  return result;
}

/** Groups records by the id they were read for. */
export function recordsById<T>(
  items: readonly T[],
  idOf: (item: T) => string | undefined,
  toRecord: (item: T) => CacheRecord | undefined,
): Map<string, CacheRecord[]> {
  const out = new Map<string, CacheRecord[]>();
  for (const item of items) {
    const id = idOf(item);
    const record = toRecord(item);
    if (id === undefined || record === undefined) continue;
    const list = out.get(id);
    if (list) list.push(record);
    else out.set(id, [record]);
  }
  return out;
}

/**
 * A targeted refresher: re-reads the items of one account/region/type with batched calls, one
 * reader per id kind. Outcome per item:
 * - found: its records are in `found` (partial targets resolved to their full keys);
 * - missing: AWS no longer has it; its key is in `missing` (for a partial target that is its glob,
 *   e.g. `aws:securityGroups:*:sg-0abc:us-east-1:prod:*`). An exact key whose resource now has
 *   another key (a load balancer found in another VPC) is missing as well;
 * - failed: its chunk's read failed (throttling keeps the error name first: `RequestLimitExceeded: ...`),
 *   or the account/region or id kind is unknown.
 * A found item may ask for follow-up refreshes (`followUps`, for the worker to enqueue).
 */
export abstract class AwsTargetedRefresher implements TargetedRefresher {
  abstract readonly types: readonly string[];
  protected abstract readonly agentKind: AwsAgentKind;
  protected abstract readers(scope: AwsScope): Partial<Record<ResourceIdKind, IdReader>>;

  constructor(
    private readonly accounts: ReadonlyMap<string, AwsAgentAccount>,
    private readonly clients: AwsClientFactory,
  ) {}

  /** Items that need no AWS read and are complete as they are (e.g. classic load balancers). */
  protected skip(_item: RefreshItem): boolean {
    return false;
  }

  /**
   * Further refreshes an item's read calls for (related resources that changed along, a re-check
   * of something still settling): given the records found for it. None by default.
   */
  protected followUps(
    _item: RefreshItem,
    _records: readonly CacheRecord[],
    _ctx: { scope: AwsScope; readStartedAt: Date },
  ): FollowUpRefresh[] {
    return [];
  }

  async refresh(batch: RefreshBatch, ctx: { signal: AbortSignal; now: () => Date }): Promise<RefreshOutcome> {
    const readStartedAt = ctx.now();
    const outcome: RefreshOutcome = {
      readStartedAt,
      found: [],
      missing: [],
      failed: [],
      agentId: agentId(batch.account, batch.region, this.agentKind),
    };
    const account = this.accounts.get(batch.account);
    if (!account || !account.regions.some((r) => r.name === batch.region)) {
      const error = `UnknownAccountRegion: ${batch.account}/${batch.region} is not configured`;
      outcome.failed = batch.items.map((item) => ({ requestId: item.requestId, error }));
      return outcome;
    }
    const scope: AwsScope = { account, region: batch.region, clients: this.clients };
    const readers = this.readers(scope);
    const found = new Map<string, CacheRecord>();
    const followUps: FollowUpRefresh[] = [];

    const byKind = new Map<string, RefreshItem[]>();
    for (const item of batch.items) {
      if (this.skip(item)) continue;
      const list = byKind.get(item.idKind);
      if (list) list.push(item);
      else byKind.set(item.idKind, [item]);
    }
    for (const [idKind, items] of byKind) {
      const reader = readers[idKind as ResourceIdKind];
      if (!reader) {
        const error = `UnsupportedIdKind: ${batch.type} cannot be read by ${idKind}`;
        outcome.failed.push(...items.map((item) => ({ requestId: item.requestId, error })));
        continue;
      }
      const result = await reader(scope, unique(items.map((item) => item.id)), ctx.signal);
      for (const record of result.companions ?? []) found.set(record.key, record);
      for (const item of items) {
        const error = result.failed.get(item.id);
        if (error !== undefined) {
          outcome.failed.push({ requestId: item.requestId, error });
          continue;
        }
        const records = result.byId.get(item.id) ?? [];
        for (const record of records) found.set(record.key, record);
        if (records.length === 0 || (!item.partial && !records.some((r) => r.key === item.key))) {
          outcome.missing.push(item.key);
        } else {
          followUps.push(...this.followUps(item, records, { scope, readStartedAt }));
        }
      }
    }
    if (followUps.length > 0) outcome.followUps = followUps;
    outcome.found = [...found.values()];
    outcome.missing = unique(outcome.missing).filter((key) => !found.has(key));
    return outcome;
  }
}
