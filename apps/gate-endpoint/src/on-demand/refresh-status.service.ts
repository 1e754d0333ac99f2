import { Injectable } from '@nestjs/common';
import { explainRefreshFailure } from '@event-cache/agents';
import { CacheStore, type RefreshStatus } from '@event-cache/cache-store';
import { CodedError } from '@event-cache/platform';
import { AppErrorCode } from '../error-status';
import { displayKey } from './on-demand-status.service';

export interface RefreshStatusView {
  id: string;
  status: 'PENDING' | 'SUCCEEDED' | 'FAILED';
  type: string;
  keys: string[];
  /** When the refresh was (last) asked for, epoch ms. */
  cacheTime: number;
  /** When a fresh read that started after `cacheTime` was written, epoch ms; null until then. */
  processedTime: number | null;
  /** Why the last attempt failed, for an operator (the raw error stays in the caching-agents log). */
  error: string | null;
  /** Its code: aws_throttled, aws_access_denied, aws_unreachable, aws_error, ... */
  errorCode: string | null;
}

const STATUS: Record<RefreshStatus, RefreshStatusView['status']> = {
  pending: 'PENDING',
  claimed: 'PENDING',
  merged: 'PENDING',
  succeeded: 'SUCCEEDED',
  failed: 'FAILED',
};

/** `GET /refreshes/{id}`: what a webhook stage polls after a 202 (a merged request answers for its successor). */
@Injectable()
export class RefreshStatusService {
  constructor(private readonly store: CacheStore) {}

  async find(id: string): Promise<RefreshStatusView> {
    const row = await this.store.refreshes.findById(id);
    if (!row) throw new CodedError(AppErrorCode.NotFound, `no refresh ${id} (unknown, or past retention)`);
    const status = STATUS[row.status];
    const failure = row.error === null ? null : explainRefreshFailure(row.error);
    return {
      id,
      status,
      type: row.type,
      keys: [displayKey(row)],
      cacheTime: row.requestedAt.getTime(),
      processedTime: status !== 'PENDING' && row.processedAt ? row.processedAt.getTime() : null,
      error: failure?.message ?? null,
      errorCode: failure?.code ?? null,
    };
  }
}
