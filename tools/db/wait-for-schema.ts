import 'reflect-metadata';
import { waitForMigrations } from '@event-cache/cache-store';

/**
 * Waits until every migration has been applied to DATABASE_URL, then exits 0; exits 1 after
 * WAIT_FOR_SCHEMA_TIMEOUT_SECONDS (default 600). The services' Kubernetes init container, so a
 * new release never runs against the schema of the previous one while the migrations Job works.
 */
async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('DATABASE_URL is required');
    process.exit(2);
  }
  const raw = process.env.WAIT_FOR_SCHEMA_TIMEOUT_SECONDS ?? '600';
  if (!/^\d+$/.test(raw)) {
    console.error('WAIT_FOR_SCHEMA_TIMEOUT_SECONDS: must be a whole number');
    process.exit(2);
  }
  let last = '';
  await waitForMigrations(
    { url },
    {
      timeoutMs: Number(raw) * 1_000,
      onPending: (reason) => {
        // Say it once per change of reason, not every two seconds.
        if (reason !== last) console.log(`waiting for the schema: ${reason}`);
        last = reason;
      },
    },
  );
  console.log('schema up to date');
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
