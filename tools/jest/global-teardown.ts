import { Client } from 'pg';
import { TEST_ADMIN_URL_ENV, TEST_TEMPLATE_ENV } from '@event-cache/testing';

export default async function globalTeardown(): Promise<void> {
  const server = globalThis.__EVENT_CACHE_PG__;
  if (server) {
    await server.stop();
    return;
  }
  // A shared DATABASE_URL server: leave it as we found it.
  const admin = new Client({ connectionString: process.env[TEST_ADMIN_URL_ENV] });
  await admin.connect();
  try {
    const rows = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE 'event_cache_t\\_${process.pid}\\_%'`,
      [process.env[TEST_TEMPLATE_ENV]],
    );
    for (const { datname } of rows.rows)
      await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
