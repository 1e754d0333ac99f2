import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import { waitForMigrations } from './migrate';

describe('waitForMigrations (what the services init containers run)', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });

  it('returns at once when every migration is applied', async () => {
    const pending: string[] = [];
    await waitForMigrations({ url: db.url }, { timeoutMs: 5_000, onPending: (r) => pending.push(r) });
    expect(pending).toEqual([]);
  });

  it('waits while a migration is pending and returns once it has been applied', async () => {
    const [latest] = await db.sql<{ id: number; timestamp: string; name: string }>(
      'DELETE FROM schema_migrations WHERE id = (SELECT max(id) FROM schema_migrations) RETURNING *',
    );
    const pending: string[] = [];
    let done = false;
    const waiting = waitForMigrations(
      { url: db.url },
      { timeoutMs: 30_000, pollMs: 50, onPending: (r) => pending.push(r) },
    ).then(() => (done = true));

    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(done).toBe(false);
    expect(pending).toContain('migrations pending');

    // What the migrations Job's commit looks like from here.
    await db.sql('INSERT INTO schema_migrations (id, timestamp, name) VALUES ($1, $2, $3)', [
      latest.id,
      latest.timestamp,
      latest.name,
    ]);
    await waiting;
    expect(done).toBe(true);
  });

  it('gives up after the timeout, saying why', async () => {
    await db.sql('DELETE FROM schema_migrations WHERE id = (SELECT max(id) FROM schema_migrations)');
    await expect(waitForMigrations({ url: db.url }, { timeoutMs: 300, pollMs: 50 })).rejects.toThrow(
      /migrations still not applied after 0 s: migrations pending/,
    );
  });

  it('treats an unreachable database as not ready yet', async () => {
    const unreachable = new URL(db.url);
    unreachable.port = '1'; // nothing listens there
    const pending: string[] = [];
    await expect(
      waitForMigrations(
        { url: unreachable.toString() },
        { timeoutMs: 300, pollMs: 50, onPending: (r) => pending.push(r) },
      ),
    ).rejects.toThrow(/database unreachable/);
    expect(pending.length).toBeGreaterThan(1);
  });
});
