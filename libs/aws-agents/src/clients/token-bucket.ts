export interface TokenBucketOptions {
  /** Tokens added per second. */
  ratePerSecond: number;
  /** Tokens that can accumulate while idle (default: one second's worth, at least 1). */
  burst?: number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * A token bucket: `take()` resolves at once while tokens are left, otherwise when the next token
 * is due. Callers are served in arrival order (each waiter reserves its token, so the balance can
 * go negative) and the long-run rate never exceeds `ratePerSecond`.
 */
export class TokenBucket {
  private readonly ratePerMs: number;
  private readonly burst: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private tokens: number;
  private updatedAt: number;

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0)) throw new RangeError('ratePerSecond must be positive');
    this.ratePerMs = options.ratePerSecond / 1_000;
    this.burst = Math.max(1, options.burst ?? options.ratePerSecond);
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleep;
    this.tokens = this.burst;
    this.updatedAt = this.now();
  }

  /** Waits for a token. Rejects (and gives the token back) when `signal` aborts while waiting. */
  async take(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.updatedAt) * this.ratePerMs);
    this.updatedAt = now;
    this.tokens -= 1;
    if (this.tokens >= 0) return;
    try {
      await this.sleep(-this.tokens / this.ratePerMs, signal);
    } catch (error) {
      this.tokens += 1;
      throw error;
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, Math.ceil(ms));
    function done() {
      signal?.removeEventListener('abort', abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    }
    signal?.addEventListener('abort', abort, { once: true });
  });
}
