import { Backoff } from './backoff';

describe('Backoff', () => {
  it('doubles up to the maximum, jittered between half and all of it, and starts over after reset', () => {
    const lowest = new Backoff(100, 1_000, () => 0);
    expect(Array.from({ length: 6 }, () => lowest.next())).toEqual([50, 100, 200, 400, 500, 500]);
    const highest = new Backoff(100, 1_000, () => 1);
    expect(Array.from({ length: 5 }, () => highest.next())).toEqual([100, 200, 400, 800, 1_000]);
    highest.reset();
    expect(highest.next()).toBe(100);
  });
});
