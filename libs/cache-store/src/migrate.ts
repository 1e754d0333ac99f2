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

export interface WaitForMigrationsOptions {
  /** Give up after this long (the database unreachable counts as not yet migrated). */
  timeoutMs: number;
  /** Pause between two checks. */
  pollMs?: number;
  /** Told why each check did not pass yet, e.g. to log it. */
  onPending?: (reason: string) => void;
}

/**
 * Resolves once every known migration has been applied to the database (by someone else: a
 * Kubernetes Job, another replica); rejects after the timeout with the last reason. What a
 * service's init container runs so it never starts against an older schema.
 */
export async function waitForMigrations(
  options: DatabaseOptions,
  { timeoutMs, pollMs = 2_000, onPending }: WaitForMigrationsOptions,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = await pendingReason(options);
    if (!reason) return;
    onPending?.(reason);
    if (Date.now() + pollMs > deadline) {
      throw new Error(`migrations still not applied after ${Math.round(timeoutMs / 1000)} s: ${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Why the schema is not ready, or undefined when it is. Opens a short-lived connection. */
async function pendingReason(options: DatabaseOptions): Promise<string | undefined> {
  const dataSource = createDataSource({ ...options, poolSize: 1, applicationName: 'event-cache-wait' });
  try {
    await dataSource.initialize();
  } catch (e) {
    return `database unreachable (${e instanceof Error ? e.message : String(e)})`;
  }
  try {
    return (await migrationsApplied(dataSource)) ? undefined : 'migrations pending';
  } catch (e) {
    return `cannot read the migrations table (${e instanceof Error ? e.message : String(e)})`;
  } finally {
    await dataSource.destroy();
  }
}
