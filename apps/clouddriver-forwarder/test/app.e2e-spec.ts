import {
  createTestDatabase,
  expectNotReadyWithPendingMigration,
  expectOperationalRoutes,
  probeService,
  type TestDatabase,
} from '@event-cache/testing';
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
    await expectOperationalRoutes(forwarder.baseUrl);
    const probe = await probeService(forwarder.baseUrl);
    expect(probe.ready.body.details?.kubernetes.status).toBe('up');
  });

  it('reports not ready while a migration is pending', async () => {
    await expectNotReadyWithPendingMigration({ db, baseUrl: forwarder.baseUrl });
  });
});
