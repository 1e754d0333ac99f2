import { Pool } from 'pg';
import type { Sql } from './sql';

/**
 * Clouddriver's own SQL database, when the projection writes there rather than into the cache's
 * database (`clouddriver.cache.databaseUrl`): a small pool and transactions on it.
 */
export class CatsDatabase {
  private readonly pool: Pool;

  constructor(url: string, options: { poolSize?: number; applicationName?: string } = {}) {
    this.pool = new Pool({
      connectionString: url,
      max: options.poolSize ?? 4,
      application_name: options.applicationName ?? 'event-cache-clouddriver-projection',
      connectionTimeoutMillis: 10_000,
    });
    // An idle client that errors (server restart) must not crash the process: the pool drops it.
    this.pool.on('error', () => undefined);
    // Nor one the server ends while it is checked out between two queries, when nobody listens on
    // it: its holder's next query fails instead, and the transaction rolls back.
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  async transaction<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work({
        query: async <R>(text: string, params?: unknown[]) => (await client.query(text, params)).rows as R[],
      });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
