import { createTestDatabase, HTTP_STACK_ERRORS, probeService, type TestDatabase } from '@event-cache/testing';
import { FakeKubernetes } from './support/fake-kubernetes';
import { type RunningForwarder, startForwarder, untilStatus } from './support/forwarder-harness';

describe('clouddriver-forwarder (booted against PostgreSQL)', () => {
  let db: TestDatabase;
  let k8s: FakeKubernetes;
  let forwarder: RunningForwarder;

  beforeAll(async () => {
    db = await createTestDatabase();
    k8s = await FakeKubernetes.start('spinnaker');
    k8s.grant('endpointslices', 'list', 'watch');
    forwarder = await startForwarder(db.url, k8s.url, 'spinnaker');
    await untilStatus(forwarder, (s) => s.phase === 'watching');
  });
  afterAll(async () => {
    await forwarder?.close();
    await k8s?.close();
    await db?.drop();
  });

  it('serves liveness, readiness with the database and the Kubernetes watch up, metrics and its OpenAPI document', async () => {
    const probe = await probeService(forwarder.baseUrl);
    expect(probe.live).toEqual({ status: 200, body: expect.objectContaining({ status: 'ok' }) });
    expect(probe.ready.status).toBe(200);
    expect(probe.ready.body.details?.database.status).toBe('up');
    expect(probe.ready.body.details?.kubernetes.status).toBe('up');
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
    const probe = await probeService(forwarder.baseUrl);
    expect(probe.ready.status).toBe(503);
    expect(probe.ready.body.details?.database.status).toBe('down');
  });
});
