import { TokenBucket } from './token-bucket';

function clock() {
  let now = 0;
  const waits: number[] = [];
  return {
    now: () => now,
    advance: (ms: number) => (now += ms),
    waits,
    sleep: (ms: number) => {
      waits.push(Math.round(ms));
      return Promise.resolve();
    },
  };
}

describe('TokenBucket', () => {
  it('lets a burst of `rate` through at once, then paces callers in arrival order', async () => {
    const c = clock();
    const bucket = new TokenBucket({ ratePerSecond: 10, now: c.now, sleep: c.sleep });
    for (let i = 0; i < 13; i++) await bucket.take();
    // 10 immediate, then the 11th..13th wait 100, 200, 300 ms for their reserved tokens.
    expect(c.waits).toEqual([100, 200, 300]);
  });

  it('never exceeds the rate over time (25 calls at 10/s take 1.5 s after the burst)', async () => {
    const c = clock();
    const bucket = new TokenBucket({ ratePerSecond: 10, now: c.now, sleep: c.sleep });
    for (let i = 0; i < 25; i++) await bucket.take();
    expect(Math.max(...c.waits)).toBe(1_500);
  });

  it('refills while idle, up to the burst size', async () => {
    const c = clock();
    const bucket = new TokenBucket({ ratePerSecond: 10, now: c.now, sleep: c.sleep });
    for (let i = 0; i < 10; i++) await bucket.take();
    c.advance(60_000);
    for (let i = 0; i < 10; i++) await bucket.take();
    expect(c.waits).toEqual([]);
    await bucket.take();
    expect(c.waits).toEqual([100]);
  });

  it('gives the token back when the waiter is aborted', async () => {
    const c = clock();
    let abortNext = true;
    const bucket = new TokenBucket({
      ratePerSecond: 1,
      now: c.now,
      sleep: (ms) => {
        c.waits.push(ms);
        if (abortNext) {
          abortNext = false;
          return Promise.reject(new Error('aborted'));
        }
        return Promise.resolve();
      },
    });
    await bucket.take();
    await expect(bucket.take()).rejects.toThrow('aborted');
    await bucket.take();
    // The aborted caller's reservation was returned: the next one waits 1 s, not 2 s.
    expect(c.waits).toEqual([1_000, 1_000]);
  });

  it('waits for real with the default sleep', async () => {
    const bucket = new TokenBucket({ ratePerSecond: 50, burst: 1 });
    const start = Date.now();
    await bucket.take();
    await bucket.take();
    expect(Date.now() - start).toBeGreaterThanOrEqual(15);
  });
});
