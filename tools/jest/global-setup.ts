import 'reflect-metadata';
import { Client } from 'pg';
import { migrate } from '@event-cache/cache-store';
import { PostgresLayoutError, startEmbeddedPostgres, type RunningPostgres } from '@event-cache/testing';
import { databaseUrl, TEST_ADMIN_URL_ENV, TEST_TEMPLATE_ENV } from '@event-cache/testing';

declare global {
  var __EVENT_CACHE_PG__: RunningPostgres | undefined;
}

/**
 * One PostgreSQL server per test run: DATABASE_URL when set, otherwise an embedded server. A
 * template database is migrated once; every test file clones it (CREATE DATABASE ... TEMPLATE).
 */
export default async function globalSetup(): Promise<void> {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const server = await startEmbeddedPostgres().catch((e: unknown) => {
      if (!(e instanceof PostgresLayoutError)) throw e;
      // Not a test failure but a layout that cannot work: what to do, in one line.
      console.error(`\n${e.message}`);
      process.exit(1);
    });
    globalThis.__EVENT_CACHE_PG__ = server;
    adminUrl = server.adminUrl;
  }
  const template = `event_cache_tpl_${process.pid}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${template}`);
    await admin.query(`CREATE DATABASE ${template}`);
  } finally {
    await admin.end();
  }
  await migrate({ url: databaseUrl(adminUrl, template) });
  process.env[TEST_ADMIN_URL_ENV] = adminUrl;
  process.env[TEST_TEMPLATE_ENV] = template;
}
