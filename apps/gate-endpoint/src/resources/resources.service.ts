import { Injectable } from '@nestjs/common';
import { CacheStore, type CachedResourceView, decodeResourceCursor } from '@event-cache/cache-store';
import { CodedError, parseInput } from '@event-cache/platform';
import { z } from 'zod';
import { formats } from '../common/request-input.util';
import { AppErrorCode } from '../error-status';

export const resourceQuery = z.strictObject({
  account: formats.account.optional(),
  region: formats.region.optional(),
  application: z.string().min(1).max(255).optional(),
  key: formats.cacheKey.optional().describe('glob on the key, * matching anything'),
  limit: formats.queryInt(1, 1_000).optional(),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,8192}$/)
    .optional(),
});

export interface ResourceView {
  key: string;
  type: string;
  account: string | null;
  region: string | null;
  application: string | null;
  agent: string | null;
  attributes: Record<string, unknown>;
  /** When the AWS read that produced this row started. */
  fetchedAt: string;
  changedAt: string;
  relationships: Record<string, string[]>;
}

/** The read API over the cache: pages of one type (keyset cursor) and single resources. */
@Injectable()
export class ResourcesService {
  constructor(private readonly store: CacheStore) {}

  async list(type: string, query: unknown): Promise<{ items: ResourceView[]; nextCursor: string | null }> {
    const cacheType = parseInput(formats.cacheType, type, 'path.type');
    const q = parseInput(resourceQuery, query, 'query');
    if (q.cursor !== undefined && decodeResourceCursor(q.cursor) === undefined) {
      throw new CodedError('schema_violation', 'query.cursor: not a nextCursor of this API');
    }
    const page = await this.store.resources.list({
      type: cacheType,
      account: q.account,
      region: q.region,
      application: q.application,
      keyGlob: q.key,
      limit: q.limit ?? 100,
      cursor: q.cursor,
    });
    return { items: page.items.map(toView), nextCursor: page.nextCursor };
  }

  async find(rawType: string, rawKey: string): Promise<ResourceView> {
    const type = parseInput(formats.cacheType, rawType, 'path.type');
    const key = parseInput(formats.cacheKey, rawKey, 'path.key');
    const found = await this.store.resources.findByKey(key);
    if (!found || found.type !== type)
      throw new CodedError(AppErrorCode.NotFound, `no ${type} with that key in the cache`);
    return toView(found);
  }
}

function toView(r: CachedResourceView): ResourceView {
  return {
    key: r.key,
    type: r.type,
    account: r.account,
    region: r.region,
    application: r.application,
    agent: r.agent,
    attributes: r.attributes,
    fetchedAt: r.fetchedAt.toISOString(),
    changedAt: r.changedAt.toISOString(),
    relationships: r.relationships,
  };
}
