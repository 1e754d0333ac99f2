import type { RefreshNotificationsPort } from '@event-cache/agents';
import type { CacheStore } from '@event-cache/cache-store';

/** The channel `refresh_request` inserts and status changes notify (one notification per statement). */
export const REFRESH_CHANNEL = 'event_cache_refresh';

/**
 * Refresh wake-ups over PostgreSQL LISTEN. When the listening connection breaks (server restart,
 * terminated backend) it listens again after `retryMs`; the worker polls meanwhile.
 */
export class StoreRefreshNotifications implements RefreshNotificationsPort {
  constructor(
    private readonly store: Pick<CacheStore, 'listen'>,
    private readonly retryMs = 5_000,
  ) {}

  async subscribe(onRefresh: () => void): Promise<() => Promise<void>> {
    let closed = false;
    let unlisten: (() => Promise<void>) | null = null;
    let retry: NodeJS.Timeout | undefined;
    const listen = async (): Promise<void> => {
      let stop: (() => Promise<void>) | null = null;
      let broken = false;
      const onBroken = () => {
        if (broken) return;
        broken = true;
        if (stop && unlisten === stop) unlisten = null;
        void stop?.().catch(() => undefined);
        if (!closed) retry = setTimeout(relisten, this.retryMs);
      };
      stop = await this.store.listen([REFRESH_CHANNEL], () => onRefresh(), onBroken);
      if (broken)
        void stop().catch(() => undefined); // broke before we held it
      else if (closed) await stop();
      else unlisten = stop;
    };
    const relisten = () => {
      listen()
        .then(() => onRefresh()) // requests may have arrived while deaf
        .catch(() => {
          if (!closed) retry = setTimeout(relisten, this.retryMs);
        });
    };
    await listen();
    return async () => {
      closed = true;
      clearTimeout(retry);
      await unlisten?.();
    };
  }
}
