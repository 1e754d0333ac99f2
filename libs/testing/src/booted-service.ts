import { createTestDatabase, type TestDatabase } from './test-database';
import { HTTP_STACK_ERRORS, probeService } from './service-probe';

/** What a service's `main` returns, as far as its e2e tests need. */
export interface StartedService {
  getUrl(): Promise<string>;
  close(): Promise<void>;
}

/** A service booted on a database of its own for one `describe` block. */
export interface BootedService {
  readonly db: TestDatabase;
  readonly baseUrl: string;
}

/**
 * Boots a service once for the enclosing `describe` (its own test database, any free port on the
 * loopback, logs off) and stops it afterwards. `start` gets the environment to boot with, e.g.
 * `(env) => startService(service, env)`.
 */
export function bootForSuite(
  start: (env: Record<string, string>) => Promise<StartedService>,
  env: Record<string, string> = {},
): BootedService {
  let db: TestDatabase | undefined;
  let app: StartedService | undefined;
  let baseUrl: string | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    app = await start({ DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env });
    baseUrl = await app.getUrl();
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });
  const booted = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the service is booted in beforeAll: use it inside a test');
    return value;
  };
  return {
    get db() {
      return booted(db);
    },
    get baseUrl() {
      return booted(baseUrl);
    },
  };
}

/**
 * The operational routes every service serves the same way: liveness, readiness with its database
 * up, Prometheus metrics (which saw the probe), its OpenAPI document, and `{error, message}` errors.
 */
export async function expectOperationalRoutes(baseUrl: string): Promise<void> {
  const probe = await probeService(baseUrl);
  expect(probe.live.status).toBe(200);
  expect(probe.live.body.status).toBe('ok');
  expect(probe.ready.status).toBe(200);
  expect(probe.ready.body.details?.database.status).toBe('up');
  expect(probe.metrics.status).toBe(200);
  expect(probe.metrics.text).toContain('process_resident_memory_bytes');
  expect(probe.metrics.text).toMatch(
    /event_cache_http_request_duration_seconds_count{method="GET",route="\/health\/live",status="200"} 1/,
  );
  expect(probe.openApi.paths).toEqual(expect.arrayContaining(['/health/live', '/health/ready']));
  expect(probe.errors).toEqual(HTTP_STACK_ERRORS);
}

/** A service is not ready while a migration is pending (here: the migrations table emptied). */
export async function expectNotReadyWithPendingMigration(service: BootedService): Promise<void> {
  await service.db.sql(`DELETE FROM schema_migrations`);
  const probe = await probeService(service.baseUrl);
  expect(probe.ready.status).toBe(503);
  expect(probe.ready.body.details?.database.status).toBe('down');
}
