import { createTestDatabase, probeService, type TestDatabase } from '@event-cache/testing';
import { endpointSlice } from './support/endpoint-objects';
import { FakeClouddriver } from './support/fake-clouddriver';
import { FakeKubernetes } from './support/fake-kubernetes';
import { type RunningForwarder, startForwarder, untilInstances } from './support/forwarder-harness';

const NS = 'spinnaker';
const TOKEN = 'forwarder-token-0123456789';

describe('clouddriver-forwarder with forwarder.token set', () => {
  let db: TestDatabase;
  let k8s: FakeKubernetes;
  let forwarder: RunningForwarder;
  let clouddriver: FakeClouddriver;

  const send = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(new URL(path, forwarder.baseUrl), {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: text ? (JSON.parse(text) as unknown) : undefined,
    };
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  // Every route of the forwarder that is not health, metrics or its documentation.
  const routes: [string, string, unknown][] = [
    ['GET', '/armory/clouddrivers', undefined],
    [
      'PUT',
      '/armory/agents/agent-prod-1',
      { clouddriverId: 'spin-clouddriver-7d9f8b6c5-aaaaa', accounts: ['prod'] },
    ],
    ['DELETE', '/armory/agents/agent-prod-1', undefined],
    [
      'POST',
      '/armory/agent/operations',
      {
        operation: '{"id":"op-1"}',
        operationId: 'op-1',
        account: 'prod',
        senderId: 'spin-clouddriver-7d9f8b6c5-aaaaa',
      },
    ],
    ['POST', '/armory/agent/operationresults', { result: '{}', operationId: 'op-1' }],
    [
      'POST',
      '/cache/aws/serverGroup',
      { credentials: 'prod', region: 'us-east-1', serverGroupName: 'app-v001' },
    ],
  ];

  beforeAll(async () => {
    db = await createTestDatabase();
    k8s = await FakeKubernetes.start(NS);
    k8s.grant('endpointslices', 'list', 'watch');
    clouddriver = await FakeClouddriver.start('spin-clouddriver-7d9f8b6c5-aaaaa');
    k8s.apply(
      'endpointslices',
      endpointSlice('spin-clouddriver-aaaaa', 'spin-clouddriver', clouddriver.port, [
        { pod: clouddriver.id, ip: '127.0.0.1', ready: true },
      ]),
    );
    forwarder = await startForwarder(db.url, k8s.url, NS, { token: TOKEN });
    await untilInstances(forwarder, (list) => list.length === 1);
  });
  afterAll(async () => {
    await forwarder?.close();
    await Promise.all([k8s?.close(), clouddriver?.close()]);
    await db?.drop();
  });

  it.each(routes)(
    'refuses %s %s without the token or with a wrong one, changing nothing',
    async (method, path, body) => {
      for (const headers of [{}, bearer('wrong-token-0123456789'), { authorization: TOKEN }]) {
        const answer = await send(method, path, body, headers);
        expect(answer).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
        expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="clouddriver-forwarder"');
      }
      expect(await db.sql(`SELECT * FROM clouddriver_ownership`)).toEqual([]);
      expect(await db.sql(`SELECT * FROM clouddriver_operation`)).toEqual([]);
      expect(clouddriver.received).toEqual([]);
    },
  );

  it('serves every route to a caller with the token, and never passes the token on to Clouddriver', async () => {
    const list = await send('GET', '/armory/clouddrivers', undefined, bearer(TOKEN));
    // The registration first: the operation is routed to the instance owning the account.
    const register = await send('PUT', routes[1][1], routes[1][2], bearer(TOKEN));
    const operation = await send('POST', routes[3][1], routes[3][2], bearer(TOKEN));
    const refresh = await send('POST', routes[5][1], routes[5][2], bearer(TOKEN));
    expect(list).toMatchObject({ status: 200, body: [{ id: clouddriver.id, ready: true }] });
    expect(register).toMatchObject({ status: 200, body: { agentId: 'agent-prod-1' } });
    expect(operation.status).toBe(200);
    expect(refresh.status).toBe(200);
    expect(clouddriver.received.map((r) => r.path).sort()).toEqual([
      '/armory/agent/operations',
      '/cache/aws/serverGroup',
    ]);
    expect(clouddriver.received.every((r) => r.headers.authorization === undefined)).toBe(true);
    expect((await send('DELETE', routes[2][1], undefined, bearer(TOKEN))).status).toBe(204);
  });

  it('keeps health, metrics and the OpenAPI document open, and documents the bearer token', async () => {
    const probe = await probeService(forwarder.baseUrl);
    expect([probe.live.status, probe.ready.status, probe.metrics.status]).toEqual([200, 200, 200]);
    const doc = (await send('GET', '/api-docs/json')).body as {
      paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
    };
    for (const [method, path] of [
      ['put', '/armory/agents/{agentId}'],
      ['post', '/armory/agent/operations'],
      ['post', '/cache/{provider}/{type}'],
    ]) {
      expect(doc.paths[path][method].security).toEqual([{ bearer: [] }]);
      expect(doc.paths[path][method].responses['401']).toBeDefined();
    }
  });
});
