import type { INestApplication } from '@nestjs/common';
import { startService } from '@event-cache/platform';
import { createTestDatabase, HTTP_STACK_ERRORS, probeService, type TestDatabase } from '@event-cache/testing';
import { service } from '../src/service';

describe('gate-endpoint (booted against PostgreSQL)', () => {
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

  it('documents every route in its OpenAPI document', async () => {
    const doc = (await (await fetch(new URL('/api-docs/json', baseUrl))).json()) as {
      paths: Record<string, Record<string, { summary?: string; responses?: object }>>;
    };
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })),
    );
    expect(operations.map((o) => o.route).sort()).toEqual(
      [
        'DELETE /admin/intervals',
        'GET /admin/agents',
        'GET /admin/clouddriver/rebuild',
        'GET /admin/events',
        'GET /admin/events/{id}',
        'GET /cache/aws/{type}',
        'GET /cache/introspection',
        'GET /health/live',
        'GET /health/ready',
        'GET /refreshes/{id}',
        'GET /resources/{type}',
        'GET /resources/{type}/{key}',
        'POST /admin/agents/pause',
        'POST /admin/agents/resume',
        'POST /admin/clouddriver/rebuild',
        'POST /admin/refresh',
        'POST /cache/aws/{type}',
        'POST /events',
        'POST /events/sns',
        'PUT /admin/intervals',
      ].sort(),
    );
    // Every operation says what it does and documents a success response with a schema.
    for (const { route, op } of operations.filter((o) => !o.route.includes('/health/'))) {
      expect({ route, summary: typeof op.summary }).toEqual({ route, summary: 'string' });
      const success = Object.entries(op.responses ?? {}).filter(([status]) => status.startsWith('2'));
      expect({ route, documented: success.some(([, r]) => 'content' in (r as object)) }).toEqual({
        route,
        documented: true,
      });
    }
  });

  it('reports not ready while a migration is pending', async () => {
    await db.sql(`DELETE FROM schema_migrations`);
    const probe = await probeService(baseUrl);
    expect(probe.ready.status).toBe(503);
    expect(probe.ready.body.details?.database.status).toBe('down');
  });
});
