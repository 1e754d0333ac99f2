import { Injectable } from '@nestjs/common';
import { CacheStore, type RefreshRequestView } from '@event-cache/cache-store';
import { parseInput } from '@event-cache/platform';
import { z } from 'zod';
import { formats } from '../common/request-input.util';
import { ON_DEMAND_TTL_MS, ON_DEMAND_TYPES, keyDetails, monikerOf, onDemandType } from './on-demand.plan';

/** One entry of `GET /cache/aws/{type}`, field for field as Clouddriver answers (times in epoch ms). */
export interface OnDemandEntry {
  id: string;
  details: Record<string, string | null>;
  moniker: ReturnType<typeof monikerOf>;
  cacheTime: number;
  cacheExpiry: number;
  processedCount: number | null;
  processedTime: number | null;
}

/** Clouddriver's query: `id`, one key (other parameters are ignored, as Clouddriver does). */
const onDemandQuery = z.looseObject({ id: formats.cacheKey.optional() });

/**
 * `GET /cache/aws/{type}[?id=key]`: on-demand entries from PostgreSQL (any replica answers).
 * Server groups: pending and recently processed entries, so Orca sees `processedTime`; an entry is
 * processed only once a fresh read that started after its `cacheTime` was written to the cache.
 * Load balancers and security groups: pending entries only (they disappear once processed, which
 * is what Orca waits for). A failed refresh is not listed: Orca asks again, which retries it.
 * One entry per key, the newest.
 */
@Injectable()
export class OnDemandStatusService {
  constructor(private readonly store: CacheStore) {}

  async list(rawType: string, query: unknown): Promise<OnDemandEntry[]> {
    const { id } = parseInput(onDemandQuery, query, 'query');
    const type = onDemandType(rawType);
    if (type === undefined) return [];
    const rows = await this.store.refreshes.listOnDemand({
      type: ON_DEMAND_TYPES[type],
      // Server-group keys are exact; other ids may be globs, matched below.
      key: type === 'ServerGroup' ? id : undefined,
      processedSince: new Date(Date.now() - ON_DEMAND_TTL_MS),
    });
    const entries = new Map<string, OnDemandEntry>();
    for (const row of rows) {
      const pending = row.status === 'pending' || row.status === 'claimed';
      if (!pending && (type !== 'ServerGroup' || row.status !== 'succeeded')) continue;
      const entry = toEntry(row);
      if (id !== undefined && entry.id !== id) continue;
      if (!entries.has(entry.id)) entries.set(entry.id, entry);
    }
    return [...entries.values()];
  }
}

/** The key a caller was given: the exact key, or a partial target's glob. */
export function displayKey(row: RefreshRequestView): string {
  const pattern = row.target?.pattern;
  return typeof pattern === 'string' ? pattern : row.key;
}

function toEntry(row: RefreshRequestView): OnDemandEntry {
  const id = displayKey(row);
  const details = keyDetails(id);
  const processed = row.status === 'succeeded' && row.processedAt !== null;
  return {
    id,
    details,
    moniker: monikerOf(details),
    cacheTime: row.requestedAt.getTime(),
    cacheExpiry: row.requestedAt.getTime() + ON_DEMAND_TTL_MS,
    processedCount: processed ? (row.processedCount ?? 1) : null,
    processedTime: processed ? row.processedAt!.getTime() : null,
  };
}
