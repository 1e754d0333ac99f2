import { Injectable } from '@nestjs/common';
import { CacheStore, type CachedResourceView } from '@event-cache/cache-store';
import { CodedError } from '@event-cache/platform';
import { z } from 'zod';
import { formats, parseInput } from '../common/request-input.util';
import { AppErrorCode } from '../error-status';

export const resourceQuery = z.strictObject({
  account: formats.account.optional(),
  region: formats.region.optional(),
  application: z.string().min(1).max(255).optional(),
  key: z.string().min(1).max(4096).optional().describe('glob on the key, * matching anything'),
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
    const cacheType = parseInput(formats.cacheType, type, 'type');
    const q = parseInput(resourceQuery, query, 'query');
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

  async find(type: string, key: string): Promise<ResourceView> {
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
