/**
 * A level-triggered wake-up: `notify()` before or during `wait()` makes the wait return at once;
 * otherwise it returns after `ms` (the polling fallback). One waiter at a time.
 */
export class Wakeup {
  private pending = false;
  private waiter: (() => void) | undefined;

  notify(): void {
    this.pending = true;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  async wait(ms: number): Promise<void> {
    if (!this.pending) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        timer = setTimeout(resolve, ms);
      });
      clearTimeout(timer);
      this.waiter = undefined;
    }
    this.pending = false;
  }
}
