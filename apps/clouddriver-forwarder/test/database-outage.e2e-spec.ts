import { migrate } from '@event-cache/cache-store';
import {
  answerOf,
  eventually,
  type RunningPostgres,
  sqlOn,
  startOwnDatabase,
  whileFrozen,
  whileHalted,
} from '@event-cache/testing';
import { endpointSlice } from './support/endpoint-objects';
import { FakeKubernetes } from './support/fake-kubernetes';
import {
  type RunningForwarder,
  startForwarder,
  untilInstances,
  untilStatus,
} from './support/forwarder-harness';

// Outages take a while to ride out: every wait below is a condition with a generous bound.
jest.setTimeout(180_000);
const LONG = 60_000;
const NS = 'spinnaker';
const POD_A = 'spin-clouddriver-7d9f8b6c5-x2k4p';
const POD_B = 'spin-clouddriver-7d9f8b6c5-q8w7e';

/** clouddriver-forwarder against a PostgreSQL of its own that the tests stop and freeze. */
describe('clouddriver-forwarder through database outages (its own PostgreSQL, fake Kubernetes)', () => {
  let pg: RunningPostgres;
  let url: string;
  let k8s: FakeKubernetes;
  let forwarder: RunningForwarder;

  const slice = (...pods: string[]) =>
    endpointSlice(
      'spin-clouddriver-abcde',
      'spin-clouddriver',
      7002,
      pods.map((pod, i) => ({ pod, ip: `10.0.3.${17 + i}` })),
    );

  beforeAll(async () => {
    ({ pg, url } = await startOwnDatabase((databaseUrl) => migrate({ url: databaseUrl })));
    k8s = await FakeKubernetes.start(NS);
    k8s.grant('endpointslices', 'list', 'watch');
    k8s.apply('endpointslices', slice(POD_A));
    forwarder = await startForwarder(
      url,
      k8s.url,
      NS,
      {},
      {
        database: { statementTimeoutMs: 2000, connectTimeoutMs: 2000 },
        health: { readinessTimeoutMs: 1000 },
      },
    );
    await untilStatus(forwarder, (s) => s.phase === 'watching');
  });
  afterAll(async () => {
    pg?.thaw();
    await forwarder?.close();
    await k8s?.close();
    await pg?.stop();
  });

  const call = (method: string, path: string, body?: unknown) =>
    answerOf(forwarder.baseUrl, method, path, { body });
  const readiness = (status: number) =>
    eventually(
      async () => (await call('GET', '/health/ready')).status === status,
      `readiness ${status}`,
      LONG,
    );
  /** Resolves once the registry table holds exactly `ids`. */
  const mirrored = (ids: string[]) =>
    eventually(
      async () => {
        const rows = await sqlOn(url)<{ id: string }>(`SELECT id FROM clouddriver_instance ORDER BY id`);
        return JSON.stringify(rows.map((r) => r.id)) === JSON.stringify([...ids].sort());
      },
      `the table to hold ${ids.join(', ')}`,
      LONG,
    );

  it('keeps routing from memory while the database is stopped, and mirrors what changed once it is back', async () => {
    await mirrored([POD_A]);
    await whileHalted(pg, async () => {
      await readiness(503);
      const notReady = await call('GET', '/health/ready');
      expect(notReady.body.details.database).toMatchObject({ status: 'down' });
      expect(notReady.body.details.kubernetes).toMatchObject({ status: 'up' });
      // Routing an operation needs the ownership tables: refused for now, with a reason.
      const operation = await call('POST', '/armory/agent/operations', {
        operation: '{}',
        operationId: 'op-1',
        account: 'prod',
        senderId: POD_A,
      });
      expect(operation).toMatchObject({ status: 503, body: { error: 'database_unavailable' } });
      // Discovery goes on: a new pod is in the map (and the list) right away.
      k8s.apply('endpointslices', slice(POD_A, POD_B));
      await untilInstances(forwarder, (list) => list.length === 2);
      expect((await call('GET', '/armory/clouddrivers')).body).toHaveLength(2);
      expect((await call('GET', '/health/live')).status).toBe(200);
      await pg.restart();
      await readiness(200);
      await mirrored([POD_A, POD_B]);
    });
  });

  it('answers readiness while the database is frozen, and mirrors what changed once it thaws', async () => {
    await whileFrozen(pg, async () => {
      const notReady = await call('GET', '/health/ready');
      expect(notReady.status).toBe(503);
      expect(notReady.body.details.database).toMatchObject({ status: 'down', timedOut: true });
      k8s.apply('endpointslices', slice(POD_A));
      await untilInstances(forwarder, (list) => list.length === 1);
      expect((await call('GET', '/armory/clouddrivers')).body).toHaveLength(1);
    });
    await readiness(200);
    await mirrored([POD_A]);
  });
});
