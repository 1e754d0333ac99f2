import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { databaseUrl, testAdminUrl, testTemplate } from './test-env';

export interface TestDatabase {
  name: string;
  /** Connection URL of this test file's own database. */
  url: string;
  /** Runs SQL on the database as a superuser (to inspect or break things). */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database cloned from the run's template (CREATE DATABASE ... TEMPLATE).
 * Call drop() in afterAll.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = testAdminUrl();
  // The template's pid suffix ties clones to this run, so teardown can find strays.
  const name = `event_cache_t_${testTemplate().split('_').pop()}_${randomBytes(6).toString('hex')}`;
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${testTemplate()}`));
  const url = databaseUrl(adminUrl, name);
  return {
    name,
    url,
    sql: sqlOn(url),
    drop: () =>
      withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}

/** Runs SQL on the database of `url`, one connection per call (to inspect or break things). */
export function sqlOn(
  url: string,
): <T = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<T[]> {
  return <T>(text: string, params?: unknown[]) =>
    withClient(url, async (c) => (await c.query(text, params)).rows as T[]);
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
