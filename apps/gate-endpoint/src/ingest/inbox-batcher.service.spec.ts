import type { CacheStore, InboxEvent } from '@event-cache/cache-store';
import { InboxBatcher } from './inbox-batcher.service';

const row = (eventId: string): InboxEvent => ({ eventId, channel: 'api', receivedAt: new Date() });

/** A store whose inbox.accept records its calls and answers like the repository (per copy, in order). */
function fakeStore(refuse: (rows: readonly InboxEvent[]) => Error | boolean = () => false) {
  const calls: string[][] = [];
  const seen = new Set<string>();
  const accept = (rows: readonly InboxEvent[]) => {
    calls.push(rows.map((r) => r.eventId));
    const refusal = refuse(rows);
    if (refusal) return Promise.reject(refusal === true ? new Error('refused') : refusal);
    const accepted: string[] = [];
    const duplicates: string[] = [];
    for (const r of rows) {
      if (seen.has(r.eventId)) duplicates.push(r.eventId);
      else {
        seen.add(r.eventId);
        accepted.push(r.eventId);
      }
    }
    return Promise.resolve({ accepted, duplicates });
  };
  return { calls, store: { inbox: { accept } } as unknown as CacheStore };
}

describe('InboxBatcher', () => {
  it('writes concurrent deliveries together and answers each one', async () => {
    const { calls, store } = fakeStore();
    const batcher = new InboxBatcher(store);
    const answers = await Promise.all(['a', 'b', 'c', 'a', 'd'].map((id) => batcher.accept(row(id))));
    expect(answers).toEqual(['accepted', 'accepted', 'accepted', 'duplicate', 'accepted']);
    // The first goes straight through; the rest waited for it and went as one statement.
    expect(calls).toEqual([['a'], ['b', 'c', 'a', 'd']]);
  });

  it('isolates a row the database refuses: its neighbours are written, only it fails', async () => {
    const { calls, store } = fakeStore((rows) => rows.some((r) => r.eventId === 'bad'));
    const batcher = new InboxBatcher(store);
    const results = await Promise.allSettled(['first', 'x', 'bad', 'y'].map((id) => batcher.accept(row(id))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(calls).toEqual([['first'], ['x', 'bad', 'y'], ['x'], ['bad'], ['y']]);
  });

  it('fails everything waiting at once while the database is unavailable, and writes again once it is back', async () => {
    let down = true;
    const outage = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const { calls, store } = fakeStore(() => down && outage);
    const batcher = new InboxBatcher(store);
    const results = await Promise.allSettled(['a', 'b', 'c', 'd'].map((id) => batcher.accept(row(id))));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    // No row-by-row retry, and the requests that queued behind the failing statement never ran.
    expect(calls).toEqual([['a']]);
    down = false;
    expect(await batcher.accept(row('b'))).toBe('accepted');
  });
});
