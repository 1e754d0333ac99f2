/**
 * At most `size` holders at a time, the others waiting in arrival order: what bounds the pages
 * one process writes at once, however many agents run (each page write holds its records, their
 * serialised rows and, with the Clouddriver projection, its plan).
 */
export class Permits {
  private available: number;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`permits: size must be an integer >= 1, not ${size}`);
    this.available = size;
  }

  /** Resolves with the permit's release (idempotent) once one is free; rejects when `signal` aborts first. */
  async acquire(signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted();
    if (this.available > 0) {
      this.available--;
      return this.release();
    }
    await new Promise<void>((resolve, reject) => {
      const handOver = () => {
        signal.removeEventListener('abort', giveUp);
        resolve();
      };
      const giveUp = () => {
        const at = this.waiting.indexOf(handOver);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(
          signal.reason instanceof Error ? signal.reason : new Error('aborted', { cause: signal.reason }),
        );
      };
      this.waiting.push(handOver);
      signal.addEventListener('abort', giveUp, { once: true });
    });
    return this.release();
  }

  /** Holders waiting for a permit. */
  get queued(): number {
    return this.waiting.length;
  }

  private release(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next)
        next(); // handed straight over: the permit never becomes free in between
      else this.available++;
    };
  }
}
