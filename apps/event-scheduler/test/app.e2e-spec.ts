import type { INestApplication } from '@nestjs/common';
import { startService } from '@event-cache/platform';
import { createTestDatabase, HTTP_STACK_ERRORS, probeService, type TestDatabase } from '@event-cache/testing';
import { service } from '../src/service';

describe('event-scheduler (booted against PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let baseUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startService(service, {
      DATABASE_URL: db.url,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
    });
    baseUrl = await app.getUrl();
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('serves liveness, readiness with the database up, metrics and its OpenAPI document', async () => {
    const probe = await probeService(baseUrl);
    expect(probe.live).toEqual({ status: 200, body: expect.objectContaining({ status: 'ok' }) });
    expect(probe.ready.status).toBe(200);
    expect(probe.ready.body.details?.database.status).toBe('up');
    expect(probe.metrics.status).toBe(200);
    expect(probe.metrics.text).toContain('process_resident_memory_bytes');
    expect(probe.metrics.text).toMatch(
      /event_cache_http_request_duration_seconds_count{method="GET",route="\/health\/live",status="200"} 1/,
    );
    expect(probe.openApi.paths).toEqual(expect.arrayContaining(['/health/live', '/health/ready']));
    expect(probe.errors).toEqual(HTTP_STACK_ERRORS); // {error, message}, like every other error
  });

  it('reports not ready while a migration is pending', async () => {
    await db.sql(`DELETE FROM schema_migrations`);
    const probe = await probeService(baseUrl);
    expect(probe.ready.status).toBe(503);
    expect(probe.ready.body.details?.database.status).toBe('down');
  });
});
