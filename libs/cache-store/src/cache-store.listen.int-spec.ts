import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import type { Pool } from 'pg';
import { openCacheStore } from './cache-store';

/**
 * Runs a query, again if it was handed a pooled connection the last round's termination ended but
 * whose end the pool had not yet seen (that query fails; the pool then drops the connection).
 */
async function queryOnLiveConnection<T>(query: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await query();
    } catch (error) {
      if (attempt >= attempts || !/Connection terminated/.test(String(error))) throw error;
    }
  }
}

describe('CacheStore.listen when its connection dies', () => {
  let db: TestDatabase;
  beforeAll(async () => (db = await createTestDatabase()));
  afterAll(() => db.drop());

  it('tells the listener once, does not crash the process, and leaves the pool usable', async () => {
    const { store, close } = await openCacheStore(db.url, { poolSize: 2, applicationName: 'listen-test' });
    try {
      let reported: Error | undefined;
      let signal = () => undefined as void;
      const failed = new Promise<void>((resolve) => (signal = resolve));
      const stop = await store.listen(
        ['event_cache_inbox'],
        () => undefined,
        (error) => {
          reported = error;
          signal();
        },
      );
      await db.sql(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'listen-test' AND query LIKE 'LISTEN%'`,
      );
      await failed;
      await stop(); // releasing a broken listener must not throw
      expect(reported).toBeInstanceOf(Error);
      // The broken connection left the pool: a fresh one answers.
      expect(await store.inbox.countPending()).toBe(0);
      const stopAgain = await store.listen(['event_cache_inbox'], () => undefined);
      await stopAgain();
    } finally {
      await close();
    }
  });

  it('never reports a failure to a caller that does not hold the listener yet: it rejects instead', async () => {
    const { store, close } = await openCacheStore(db.url, { poolSize: 4, applicationName: 'listen-race' });
    const early: string[] = [];
    try {
      for (let round = 0; round < 20; round++) {
        // Idle pooled connections, and a listener that listens again the moment its connection
        // dies, as the inbox processor does. Every connection is terminated at once (a restart, a
        // failover): the new listen() may be handed a pooled connection whose end is still unseen.
        await Promise.all([1, 2, 3].map(() => queryOnLiveConnection(() => store.inbox.countPending())));
        let relistened = () => undefined as void;
        const done = new Promise<void>((resolve) => (relistened = resolve));
        await store.listen(
          ['event_cache_inbox'],
          () => undefined,
          () => {
            let held = false;
            const report = (error: Error) => {
              if (!held) early.push(error.message);
            };
            store
              .listen(['event_cache_inbox'], () => undefined, report)
              .then((stop) => {
                held = true;
                return stop();
              })
              .catch(() => undefined) // rejected: the caller listens again later
              .finally(relistened);
          },
        );
        await db.sql(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = 'listen-race'`,
        );
        await done;
      }
      expect(early).toEqual([]);
      expect(await queryOnLiveConnection(() => store.inbox.countPending())).toBe(0);
    } finally {
      await close();
    }
  });
});

describe('a pooled connection the server ends while nobody listens on it', () => {
  let db: TestDatabase;
  beforeAll(async () => (db = await createTestDatabase()));
  afterAll(() => db.drop());

  it('does not crash the process, and the pool replaces it', async () => {
    const { dataSource, store, close } = await openCacheStore(db.url, {
      poolSize: 1,
      applicationName: 'unheard-test',
    });
    try {
      // Held straight from pg's pool: between hand-overs, no pool or TypeORM listener is on it.
      const pool = (dataSource.driver as unknown as { master: Pool }).master;
      const client = await pool.connect();
      const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
      await db.sql(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'unheard-test'`,
      );
      await ended; // the server's error reached the client before this; nothing crashed
      client.release(new Error('terminated'));
      expect(await store.inbox.countPending()).toBe(0);
    } finally {
      await close();
    }
  });
});
