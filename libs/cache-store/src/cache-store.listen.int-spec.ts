import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import { openCacheStore } from './cache-store';

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
});
