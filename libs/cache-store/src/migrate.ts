import type { DataSource } from 'typeorm';
import { createDataSource, type DatabaseOptions } from './data-source';

/** Arbitrary, fixed advisory-lock key: only one migrator runs at a time across all replicas. */
const MIGRATION_LOCK_KEY = 7_421_193_001;

/**
 * Applies pending migrations under a PostgreSQL advisory lock, each in its own transaction.
 * Safe to run concurrently from many processes (a Job, the local stack, the tests).
 */
export async function migrate(options: DatabaseOptions): Promise<string[]> {
  const dataSource = createDataSource({ ...options, poolSize: 2, applicationName: 'event-cache-migrate' });
  await dataSource.initialize();
  try {
    return await withMigrationLock(dataSource, async () => {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    });
  } finally {
    await dataSource.destroy();
  }
}

async function withMigrationLock<T>(dataSource: DataSource, work: () => Promise<T>): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      return await work();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}

/** The SQL TypeORM would run to make the schema match the entities; empty when nothing drifted. */
export async function schemaDrift(dataSource: DataSource): Promise<string[]> {
  const log = await dataSource.driver.createSchemaBuilder().log();
  return log.upQueries.map((q) => q.query);
}

/** True when every known migration has been applied. */
export async function migrationsApplied(dataSource: DataSource): Promise<boolean> {
  return !(await dataSource.showMigrations());
}
