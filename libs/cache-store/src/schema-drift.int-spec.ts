import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import type { DataSource } from 'typeorm';
import { openCacheStore } from './cache-store';
import { migrationsApplied, schemaDrift } from './migrate';

describe('schema', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let close: () => Promise<void>;
  beforeAll(async () => {
    db = await createTestDatabase();
    ({ dataSource, close } = await openCacheStore(db.url));
  });
  afterAll(async () => {
    await close();
    await db.drop();
  });

  it('has every migration applied in the test template', async () => {
    expect(await migrationsApplied(dataSource)).toBe(true);
  });

  it('matches the entities exactly (no drift between entities and migrations)', async () => {
    expect(await schemaDrift(dataSource)).toEqual([]);
  });
});
