import { allPages, readIsolatingMissing } from './batching';

const signal = new AbortController().signal;

describe('allPages', () => {
  it('follows tokens to the end and refuses a token that comes back (an endless listing)', async () => {
    const pages: Record<string, { items: number[]; next?: string }> = {
      start: { items: [1], next: 'a' },
      a: { items: [2], next: 'b' },
      b: { items: [3] },
    };
    const read = await allPages(
      signal,
      (t) => Promise.resolve(pages[t ?? 'start']),
      (p) => p.next,
    );
    expect(read.flatMap((p) => p.items)).toEqual([1, 2, 3]);

    await expect(
      allPages(
        signal,
        () => Promise.resolve({ next: 'same' }),
        (p) => p.next,
      ),
    ).rejects.toThrow(/did not end/);
  });
});

describe('readIsolatingMissing', () => {
  const notFound = (ids: string[]) =>
    Object.assign(new Error(`ids '${ids.join(', ')}' do not exist`), { name: 'X.NotFound' });

  it('rethrows errors other than NotFound (a throttled batch is not "missing")', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
    await expect(
      readIsolatingMissing(['a', 'b'], () => Promise.reject(throttled), { notFound: ['X.NotFound'] }),
    ).rejects.toBe(throttled);
  });

  it('finds two gone ids among 100 by bisection in far fewer than 100 calls', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `id-${i}`);
    let calls = 0;
    const result = await readIsolatingMissing(
      ids,
      (part) => {
        calls += 1;
        const gone = part.filter((id) => id === 'id-3' || id === 'id-77');
        return gone.length ? Promise.reject(notFound([])) : Promise.resolve(part);
      },
      { notFound: ['X.NotFound'] },
    );
    expect(result.missing.sort()).toEqual(['id-3', 'id-77']);
    expect(result.found).toHaveLength(98);
    expect(calls).toBeLessThan(30);
  });
});
