import { Injectable } from '@nestjs/common';
import { CacheStore, decodeInboxCursor, type InboxEntryView } from '@event-cache/cache-store';
import { CodedError, parseInput } from '@event-cache/platform';
import { AppErrorCode } from '../error-status';
import { eventIdParam, eventListQuery } from './admin.dto';

export interface EventView {
  id: string;
  channel: string;
  source: string | null;
  detailType: string | null;
  account: string | null;
  region: string | null;
  receivedAt: string;
  processedAt: string | null;
  outcome: string;
  reason: string | null;
  refreshKeys: string[];
  duplicateCount: number;
}

/** Admin: the event audit trail (what arrived, when, what it caused, or why not). */
@Injectable()
export class AdminEventsService {
  constructor(private readonly store: CacheStore) {}

  async list(query: unknown): Promise<{ items: EventView[]; nextCursor: string | null }> {
    const q = parseInput(eventListQuery, query, 'query');
    const cursor = q.cursor === undefined ? undefined : decodeInboxCursor(q.cursor);
    if (q.cursor !== undefined && !cursor) {
      throw new CodedError('schema_violation', 'query.cursor: not a nextCursor of this API');
    }
    const { entries, nextCursor } = await this.store.inbox.list({
      limit: q.limit ?? 100,
      ...(q.outcome !== undefined ? { outcome: q.outcome } : {}),
      ...(q.reason !== undefined ? { reason: q.reason } : {}),
      ...(q.before !== undefined ? { before: new Date(q.before) } : {}),
      ...(cursor ? { cursor } : {}),
    });
    return { items: entries.map(toView), nextCursor };
  }

  async find(rawId: string): Promise<EventView> {
    const id = parseInput(eventIdParam, rawId, 'path.id');
    const entry = await this.store.inbox.findById(id);
    if (!entry) throw new CodedError(AppErrorCode.NotFound, 'no such event (unknown, or past retention)');
    return toView(entry);
  }
}

function toView(e: InboxEntryView): EventView {
  return {
    id: e.id,
    channel: e.channel,
    source: e.source,
    detailType: e.detailType,
    account: e.account,
    region: e.region,
    receivedAt: e.receivedAt.toISOString(),
    processedAt: e.processedAt?.toISOString() ?? null,
    outcome: e.outcome,
    reason: e.reason,
    refreshKeys: e.refreshKeys,
    duplicateCount: e.duplicateCount,
  };
}
