import { type CacheStore, type RefreshRequestView } from '@event-cache/cache-store';

/**
 * Stands in for the caching-agents refresh worker: claims pending requests through the store,
 * "reads AWS" (a record per key, read starting now) and completes them as of that read.
 */
export class RefreshWorkerStandIn {
  readonly claimed: RefreshRequestView[] = [];

  constructor(
    private readonly store: CacheStore,
    private readonly worker = 'refresh-worker-stand-in',
  ) {}

  /** Claims what is pending (one account/region/type per batch, as the real worker does). */
  async claim(): Promise<RefreshRequestView[]> {
    const batch = await this.store.refreshes.claimBatch({
      worker: this.worker,
      limit: 100,
      claimTtlMs: 60_000,
    });
    this.claimed.push(...batch);
    return batch;
  }

  /** Writes what the read found and completes the batch as of `readStartedAt`. */
  async complete(batch: RefreshRequestView[], readStartedAt: Date): Promise<string[]> {
    await this.store.resources.write(
      batch
        .filter((r) => r.target?.partial !== true)
        .map((r) => ({
          key: r.key,
          type: r.type,
          account: r.account,
          region: r.region,
          attributes: { refreshed: true },
        })),
      { fetchedAt: readStartedAt, touchUnchanged: true },
    );
    return this.store.refreshes.complete(
      this.worker,
      batch.map((r) => r.id),
      readStartedAt,
    );
  }

  /** One pass: claim every pending batch, read, complete. Returns the ids completed. */
  async runOnce(): Promise<string[]> {
    const done: string[] = [];
    for (let batch = await this.claim(); batch.length > 0; batch = await this.claim()) {
      done.push(...(await this.complete(batch, new Date())));
    }
    return done;
  }
}
