/**
 * `read` with a deadline, one at a time: a call while an earlier read is still running joins it
 * instead of starting another, and a call whose read has not settled within `timeoutMs` answers
 * `late()` (the read keeps running; the next call joins it). For reads at probe or scrape time
 * against a dependency that may hang: they answer in time and never pile up.
 */
export function bounded<T>(read: () => Promise<T>, timeoutMs: number, late: () => T): () => Promise<T> {
  let running: Promise<T> | undefined;
  return async () => {
    running ??= read().finally(() => (running = undefined));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<T>((resolve) => {
      timer = setTimeout(() => resolve(late()), timeoutMs);
    });
    try {
      return await Promise.race([running, deadline]);
    } finally {
      clearTimeout(timer);
    }
  };
}
