import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { CacheStore } from '@event-cache/cache-store';
import { MetricsService } from '@event-cache/platform';

/** First pause between two probes of an unavailable inbox; doubles up to MAX_PROBE_DELAY_MS. */
const FIRST_PROBE_DELAY_MS = 250;
/** Longest pause between two probes: receiving resumes within this of the database coming back. */
const MAX_PROBE_DELAY_MS = 5_000;

/**
 * Whether SQS messages may be received: open while the inbox can be written. An inbox write that
 * failed because the database is unavailable closes it; it then probes the database (one probe at
 * a time, backing off) and opens again once the database takes writes. While it is closed nothing
 * is received, so an outage of any length costs no SQS receive counts (nothing drifts into the
 * DLQ), and the batches already received wait for it while the transport keeps them invisible.
 */
@Injectable()
export class IntakeGate implements OnApplicationShutdown {
  private readonly logger = new Logger(IntakeGate.name);
  private closedAt: number | undefined;
  private waiters = new Set<() => void>();
  private probing: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  private readonly paused;

  constructor(
    private readonly store: CacheStore,
    metrics: MetricsService,
  ) {
    this.paused = metrics.gauge({
      name: 'sqs_receiving_paused',
      help: 'SQS receiving is paused (1) while the inbox cannot be written (database unavailable)',
    });
    this.paused.set(0);
  }

  get open(): boolean {
    return this.closedAt === undefined;
  }

  /** The inbox could not be written because of `error`: stop receiving until a probe succeeds. */
  close(error: unknown): void {
    if (this.closedAt !== undefined || this.stopping.signal.aborted) return;
    this.closedAt = Date.now();
    this.paused.set(1);
    this.logger.warn({
      msg: 'inbox cannot be written: SQS receiving paused until the database is back',
      err: error instanceof Error ? error.message : String(error),
    });
    this.probing = this.probe();
  }

  /** Resolves true once the gate is open (at once if it is), false if `signal` aborted first. */
  async whenOpen(signal: AbortSignal): Promise<boolean> {
    if (this.open) return true;
    if (signal.aborted) return false;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
    return this.open;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await this.probing;
  }

  private async probe(): Promise<void> {
    const { signal } = this.stopping;
    for (let delay = FIRST_PROBE_DELAY_MS; ; delay = Math.min(MAX_PROBE_DELAY_MS, delay * 2)) {
      await sleep(delay, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
      // One probe at a time: against a hung server it waits for its answer (database.queryTimeoutMs).
      if (await this.store.writable().catch(() => false)) break;
    }
    this.logger.log({
      msg: 'inbox writable again: SQS receiving resumed',
      pausedMs: Date.now() - (this.closedAt ?? Date.now()),
    });
    this.closedAt = undefined;
    this.paused.set(0);
    for (const waiter of [...this.waiters]) waiter();
  }
}
