import { Permits } from './permits';

const never = new AbortController().signal;

describe('Permits', () => {
  it('lets `size` holders in at once and the next waiter in, in order, as each releases', async () => {
    const permits = new Permits(2);
    const order: string[] = [];
    const a = await permits.acquire(never);
    const b = await permits.acquire(never);
    const c = permits.acquire(never).then((release) => (order.push('c'), release));
    const d = permits.acquire(never).then((release) => (order.push('d'), release));
    await Promise.resolve();
    expect(order).toEqual([]);
    expect(permits.queued).toBe(2);

    a();
    a(); // a second release of the same permit frees nothing more
    const releaseC = await c;
    expect(order).toEqual(['c']);
    expect(permits.queued).toBe(1);

    b();
    (await d)();
    releaseC();
    expect(order).toEqual(['c', 'd']);
    // Both permits are free again: two holders get in at once.
    await Promise.all([permits.acquire(never), permits.acquire(never)]);
    expect(permits.queued).toBe(0);
  });

  it('rejects a waiter whose signal aborts, with its reason, and forgets it', async () => {
    const permits = new Permits(1);
    const held = await permits.acquire(never);
    const controller = new AbortController();
    const waiting = permits.acquire(controller.signal);
    controller.abort(new Error('shutting down'));

    await expect(waiting).rejects.toThrow('shutting down');
    expect(permits.queued).toBe(0);
    held();
    await expect(permits.acquire(controller.signal)).rejects.toThrow('shutting down');
    (await permits.acquire(never))(); // the permit went back, not to the gone waiter
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => new Permits(0)).toThrow(RangeError);
    expect(() => new Permits(1.5)).toThrow(RangeError);
  });
});
