/** Time for the scheduler and the refresh worker, injected so tests and simulations control it. */
export interface Clock {
  now(): Date;
  /** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/** The longest back-off of a loop whose store fails: it resumes within this of the store's return. */
export const MAX_RETRY_DELAY_MS = 5_000;

/**
 * The pause after the `failures`-th failure in a row of a loop that normally waits `baseMs`: it
 * doubles with every failure, up to MAX_RETRY_DELAY_MS (never below `baseMs`).
 */
export function retryDelay(failures: number, baseMs: number): number {
  const doubled = Math.max(1, baseMs) * 2 ** Math.min(Math.max(0, failures - 1), 16);
  return Math.max(baseMs, Math.min(MAX_RETRY_DELAY_MS, doubled));
}

/**
 * A sleep that can be cut short from elsewhere: loops wait on it between polls and are woken
 * when work arrives (a run finished, a refresh was enqueued) or when they should stop. A wake-up
 * with nobody waiting is kept for the next wait, so none is lost between two polls.
 */
export class Wakeup {
  private readonly waiting = new Set<AbortController>();
  private signalled = false;

  /** `stop`: once aborted, every wait returns at once (loops see it and end). */
  constructor(
    private readonly clock: Clock,
    private readonly stop?: AbortSignal,
  ) {}

  /** Waits up to `ms`; returns at once if `wake()` was called since the last wait. */
  async wait(ms: number): Promise<void> {
    if (this.signalled || this.stop?.aborted) {
      this.signalled = false;
      return;
    }
    const controller = new AbortController();
    this.waiting.add(controller);
    try {
      await this.clock.sleep(
        ms,
        this.stop ? AbortSignal.any([controller.signal, this.stop]) : controller.signal,
      );
    } finally {
      this.waiting.delete(controller);
    }
  }

  /** Wakes every waiter (or the next one to wait). */
  wake(): void {
    if (this.waiting.size === 0) {
      this.signalled = true;
      return;
    }
    for (const controller of this.waiting) controller.abort();
  }
}
