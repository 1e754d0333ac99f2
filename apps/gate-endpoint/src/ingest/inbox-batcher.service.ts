import { Injectable, Logger } from '@nestjs/common';
import { CacheStore, type InboxEvent, isDatabaseUnavailable } from '@event-cache/cache-store';

interface Waiting {
  row: InboxEvent;
  resolve: (status: 'accepted' | 'duplicate') => void;
  reject: (error: unknown) => void;
}

/** Rows per INSERT at most. */
const MAX_BATCH = 500;

/**
 * Group commit for the inbox: concurrent HTTP deliveries are written together, one multi-row
 * INSERT per batch instead of one round trip each; every caller is answered once the statement
 * holding its row committed. Rows wait only while the previous statement is in flight, so a lone
 * request goes straight through and a burst self-batches. A failing batch is retried row by row:
 * one row the database refuses cannot fail its neighbours. A database that is unavailable fails
 * the batch and every request already waiting at once (they answer 503 and are sent again), so an
 * outage neither retries rows one by one nor piles requests up behind a hung statement.
 */
@Injectable()
export class InboxBatcher {
  private readonly logger = new Logger(InboxBatcher.name);
  private queue: Waiting[] = [];
  private flushing = false;

  constructor(private readonly store: CacheStore) {}

  /** Resolves after commit with whether the event id was new; rejects if the row was not written. */
  accept(row: InboxEvent): Promise<'accepted' | 'duplicate'> {
    return new Promise((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        void this.flush();
      }
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        await this.write(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async write(batch: Waiting[]): Promise<void> {
    try {
      const { accepted } = await this.store.inbox.accept(batch.map((w) => w.row));
      // Per copy in call order: the first copy of a new id is accepted, the others are duplicates.
      const fresh = new Set(accepted);
      for (const w of batch) w.resolve(fresh.delete(w.row.eventId) ? 'accepted' : 'duplicate');
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        for (const w of [...batch, ...this.queue.splice(0)]) w.reject(error);
        return;
      }
      if (batch.length === 1) {
        batch[0].reject(error);
        return;
      }
      this.logger.warn({
        msg: 'inbox batch failed; writing its rows one by one',
        rows: batch.length,
        err: error instanceof Error ? error.message : String(error),
      });
      for (const w of batch) await this.write([w]);
    }
  }
}
