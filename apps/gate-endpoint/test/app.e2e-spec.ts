import { startService } from '@event-cache/platform';
import {
  bootForSuite,
  expectNotReadyWithPendingMigration,
  expectOperationalRoutes,
} from '@event-cache/testing';
import { service } from '../src/service';

describe('gate-endpoint (booted against PostgreSQL)', () => {
  const booted = bootForSuite((env) => startService(service, env));

  it('serves liveness, readiness with the database up, metrics and its OpenAPI document', async () => {
    await expectOperationalRoutes(booted.baseUrl);
  });

  it('documents every route in its OpenAPI document', async () => {
    const doc = (await (await fetch(new URL('/api-docs/json', booted.baseUrl))).json()) as {
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
    await expectNotReadyWithPendingMigration(booted);
  });
});
