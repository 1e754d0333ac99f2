import { createServer } from 'node:net';
import { createTestDatabase, probeService, type TestDatabase } from '@event-cache/testing';
import { endpointSlice } from './support/endpoint-objects';
import { FakeClouddriver } from './support/fake-clouddriver';
import { FakeKubernetes } from './support/fake-kubernetes';
import { type RunningForwarder, startForwarder, untilInstances } from './support/forwarder-harness';

const NS = 'spinnaker';
const OPERATIONS = '/armory/agent/operations';
const RESULTS = '/armory/agent/operationresults';

/** A port nothing listens on: connections are refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('clouddriver-forwarder forwarding (fake Kubernetes and Clouddriver pods)', () => {
  let db: TestDatabase;
  let k8s: FakeKubernetes;
  let forwarder: RunningForwarder;
  let a: FakeClouddriver; // ready
  let b: FakeClouddriver; // ready
  let c: FakeClouddriver; // not ready
  let deadPort: number;

  /** One slice per pod: each fake listens on its own port of 127.0.0.1. */
  const publish = (fake: FakeClouddriver, ready = true) =>
    k8s.apply(
      'endpointslices',
      endpointSlice(`spin-clouddriver-${fake.id.slice(-5)}`, 'spin-clouddriver', fake.port, [
        { pod: fake.id, ip: '127.0.0.1', ready },
      ]),
    );

  async function post(path: string, body: unknown, headers: Record<string, string> = {}, to = forwarder) {
    const res = await fetch(new URL(path, to.baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      text,
      json: () => JSON.parse(text) as Record<string, unknown>,
    };
  }

  /** `event_cache_clouddriver_forwards_total` by "route/outcome", scraped from /metrics. */
  async function forwardCounts(): Promise<Record<string, number>> {
    const text = await (await fetch(new URL('/metrics', forwarder.baseUrl))).text();
    const counts: Record<string, number> = {};
    for (const [, route, outcome, value] of text.matchAll(
      /^event_cache_clouddriver_forwards_total{route="(\w+)",outcome="(\w+)"} (\d+)$/gm,
    )) {
      counts[`${route}/${outcome}`] = Number(value);
    }
    return counts;
  }

  /** What changed between two scrapes (only the counters that moved). */
  function delta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
    return Object.fromEntries(
      Object.entries(after)
        .map(([key, value]) => [key, value - (before[key] ?? 0)] as const)
        .filter(([, d]) => d !== 0),
    );
  }

  async function register(agentId: string, clouddriverId: string, accounts: string[]) {
    const res = await fetch(new URL(`/armory/agents/${encodeURIComponent(agentId)}`, forwarder.baseUrl), {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clouddriverId, accounts }),
    });
    return { status: res.status, body: await res.json() };
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    k8s = await FakeKubernetes.start(NS);
    k8s.grant('endpointslices', 'list', 'watch');
    [a, b, c] = await Promise.all([
      FakeClouddriver.start('spin-clouddriver-7d9f8b6c5-aaaaa'),
      FakeClouddriver.start('spin-clouddriver-7d9f8b6c5-bbbbb'),
      FakeClouddriver.start('spin-clouddriver-7d9f8b6c5-ccccc'),
    ]);
    deadPort = await closedPort();
    publish(a);
    publish(b);
    publish(c, false);
    forwarder = await startForwarder(db.url, k8s.url, NS, {
      forwardTimeoutMs: 500,
      forwardRetries: 1,
      retryAfterSeconds: 7,
    });
    await untilInstances(forwarder, (list) => list.length === 3);
  });
  afterAll(async () => {
    await forwarder?.close();
    await Promise.all([k8s?.close(), a?.close(), b?.close(), c?.close()]);
    await db?.drop();
  });
  beforeEach(() => {
    for (const fake of [a, b, c]) fake.received.length = 0;
  });

  it('records agent registrations and forgets them', async () => {
    expect(await register('agent-prod-54865d798c-cpqgm', b.id, ['prod-eks', 'prod-eks', 'shared'])).toEqual({
      status: 200,
      body: { agentId: 'agent-prod-54865d798c-cpqgm', clouddriverId: b.id, accounts: ['prod-eks', 'shared'] },
    });
    expect(await db.sql(`SELECT agent_id, clouddriver_id, accounts FROM clouddriver_ownership`)).toEqual([
      { agent_id: 'agent-prod-54865d798c-cpqgm', clouddriver_id: b.id, accounts: ['prod-eks', 'shared'] },
    ]);
    await register('agent-tmp', a.id, []);
    const url = new URL('/armory/agents/agent-tmp', forwarder.baseUrl);
    expect((await fetch(url, { method: 'DELETE' })).status).toBe(204);
    const again = await fetch(url, { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect(await again.json()).toEqual({
      error: 'unknown_agent',
      message: 'agent "agent-tmp" is not registered',
    });
  });

  it("forwards an operation to the instance owning its agent and answers with that instance's status and body", async () => {
    await register('agent-prod-54865d798c-cpqgm', b.id, ['prod-eks']);
    b.answerOnce(OPERATIONS, {
      status: 202,
      body: '{"accepted":"op-1"}',
      contentType: 'application/json;charset=UTF-8',
    });
    const operation = JSON.stringify({
      id: 'op-1',
      agentId: 'agent-prod-54865d798c-cpqgm',
      type: 'deployManifest',
    });
    const res = await post(
      OPERATIONS,
      { operation, senderId: a.id },
      { 'x-spinnaker-user': 'alice@example.com', 'x-request-id': 'req-op-1' },
    );
    expect(res.status).toBe(202);
    expect(res.text).toBe('{"accepted":"op-1"}');
    expect(res.headers.get('content-type')).toBe('application/json;charset=UTF-8');
    expect(res.headers.get('x-clouddriver-id')).toBe(b.id);
    expect(b.received).toEqual([
      expect.objectContaining({
        method: 'POST',
        path: OPERATIONS,
        body: { operation },
        headers: expect.objectContaining({
          'x-spinnaker-user': 'alice@example.com',
          'x-request-id': 'req-op-1',
        }),
      }),
    ]);
    expect(a.received).toEqual([]);

    // Routed by account when it names no agent; the opaque text goes through untouched.
    const byAccount = await post(OPERATIONS, {
      operation: 'opaque-bytes==',
      operationId: 'op-2',
      account: 'prod-eks',
      senderId: a.id,
    });
    expect(byAccount.status).toBe(200);
    expect(byAccount.json()).toEqual({ handledBy: b.id });
    expect(b.requestsTo(OPERATIONS).map((r) => r.body)).toEqual([
      { operation },
      { operation: 'opaque-bytes==' },
    ]);
  });

  it('routes an operation result back to the instance that sent the operation, from any replica', async () => {
    await register('agent-prod-54865d798c-cpqgm', b.id, ['prod-eks']);
    const sent = await post(OPERATIONS, {
      operation: JSON.stringify({ id: 'op-7', agentId: 'agent-prod-54865d798c-cpqgm' }),
      senderId: a.id,
    });
    expect(sent.status).toBe(200);
    const replica = await startForwarder(db.url, k8s.url, NS);
    try {
      await untilInstances(replica, (list) => list.length === 3);
      a.answerOnce(RESULTS, { status: 200, body: '{"delivered":true}' });
      const result = JSON.stringify({ id: 'op-7', status: 'SUCCEEDED', output: { manifests: [] } });
      const res = await post(RESULTS, { result }, {}, replica);
      expect(res.status).toBe(200);
      expect(res.text).toBe('{"delivered":true}');
      expect(a.requestsTo(RESULTS).map((r) => r.body)).toEqual([{ result }]);
      expect(b.requestsTo(RESULTS)).toEqual([]);
    } finally {
      await replica.close();
    }

    const unknown = await post(RESULTS, { result: '{"id":"op-never"}' });
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toMatchObject({ error: 'unknown_operation' });
  });

  it('answers 503 with Retry-After when the owner is unknown, not ready or gone, and never forwards to it', async () => {
    const before = await forwardCounts();
    const unknown = await post(OPERATIONS, {
      operation: 'x',
      operationId: 'op-u',
      agentId: 'agent-nobody',
      senderId: a.id,
    });
    expect(unknown.status).toBe(503);
    expect(unknown.headers.get('retry-after')).toBe('7');
    expect(unknown.json()).toEqual({
      error: 'clouddriver_unavailable',
      message:
        'no Clouddriver instance has registered agent "agent-nobody" (PUT /armory/agents/{agentId}); retry in 7 s',
    });

    await register('agent-on-c', c.id, ['staging']);
    const notReady = await post(OPERATIONS, {
      operation: 'x',
      operationId: 'op-c',
      agentId: 'agent-on-c',
      senderId: a.id,
    });
    expect(notReady.status).toBe(503);
    expect(notReady.headers.get('retry-after')).toBe('7');
    expect(notReady.json().message).toBe(
      `Clouddriver instance "${c.id}" that owns agent "agent-on-c" is not ready; retry in 7 s`,
    );

    // The ownership row outlives the pod: the forwarder still refuses to forward to it.
    const gone = await FakeClouddriver.start('spin-clouddriver-7d9f8b6c5-ggggg');
    try {
      publish(gone);
      await untilInstances(forwarder, (list) => list.some((i) => i.id === gone.id));
      await register('agent-on-g', gone.id, ['dev']);
      k8s.remove('endpointslices', `spin-clouddriver-${gone.id.slice(-5)}`);
      await untilInstances(forwarder, (list) => !list.some((i) => i.id === gone.id));
      const res = await post(OPERATIONS, {
        operation: 'x',
        operationId: 'op-g',
        account: 'dev',
        senderId: a.id,
      });
      expect(res.status).toBe(503);
      expect(res.json().message).toBe(
        `Clouddriver instance "${gone.id}" that owns account "dev" is gone (no such pod is discovered); retry in 7 s`,
      );
      expect(gone.received).toEqual([]);

      // Results for an operation whose sender is gone are not forwarded either.
      publish(gone);
      await untilInstances(forwarder, (list) => list.some((i) => i.id === gone.id));
      await register('agent-prod-54865d798c-cpqgm', b.id, ['prod-eks']);
      await post(OPERATIONS, {
        operation: 'x',
        operationId: 'op-from-g',
        account: 'prod-eks',
        senderId: gone.id,
      });
      k8s.remove('endpointslices', `spin-clouddriver-${gone.id.slice(-5)}`);
      await untilInstances(forwarder, (list) => !list.some((i) => i.id === gone.id));
      const result = await post(RESULTS, { result: 'done', operationId: 'op-from-g' });
      expect(result.status).toBe(503);
      expect(result.json().message).toMatch(/that sent operation "op-from-g" is gone/);
      expect(gone.received).toEqual([]);
    } finally {
      await gone.close();
    }
    expect(delta(before, await forwardCounts())).toEqual({
      'operations/unavailable': 3,
      'operations/answered': 1, // op-from-g, while its sender was still there
      'operationresults/unavailable': 1,
    });
  });

  it('retries an instance that answers 502/503/504 or refuses connections, but not one that timed out', async () => {
    await register('agent-prod-54865d798c-cpqgm', b.id, ['prod-eks']);
    const before = await forwardCounts();
    const send = (operationId: string) =>
      post(OPERATIONS, {
        operation: 'x',
        operationId,
        agentId: 'agent-prod-54865d798c-cpqgm',
        senderId: a.id,
      });

    b.answerOnce(OPERATIONS, { status: 503, body: 'starting' });
    const recovered = await send('op-r1');
    expect(recovered.status).toBe(200);
    expect(b.requestsTo(OPERATIONS)).toHaveLength(2);

    // Retries are bounded: the last answer comes back unchanged.
    b.answerOnce(OPERATIONS, { status: 503, body: 'busy' });
    b.answerOnce(OPERATIONS, { status: 503, body: '{"error":"still busy"}' });
    const exhausted = await send('op-r2');
    expect(exhausted.status).toBe(503);
    expect(exhausted.text).toBe('{"error":"still busy"}');
    expect(b.requestsTo(OPERATIONS)).toHaveLength(4);

    // A client error is the instance's answer, not a failure: not retried.
    b.answerOnce(OPERATIONS, { status: 400, body: '{"error":"bad operation"}' });
    expect((await send('op-r3')).status).toBe(400);
    expect(b.requestsTo(OPERATIONS)).toHaveLength(5);

    b.answerOnce(OPERATIONS, { status: 200, body: '{}', delayMs: 1_500 });
    const slow = await send('op-r4');
    expect(slow.status).toBe(504);
    expect(slow.json()).toEqual({
      error: 'forward_timeout',
      message: `Clouddriver instance "${b.id}" did not answer within 500 ms`,
    });
    expect(b.requestsTo(OPERATIONS)).toHaveLength(6);

    // A pod whose port refuses connections.
    k8s.apply(
      'endpointslices',
      endpointSlice('spin-clouddriver-dead1', 'spin-clouddriver', deadPort, [
        { pod: 'spin-clouddriver-7d9f8b6c5-ddddd', ip: '127.0.0.1' },
      ]),
    );
    await untilInstances(forwarder, (list) => list.length === 4);
    await register('agent-on-d', 'spin-clouddriver-7d9f8b6c5-ddddd', ['qa']);
    const refused = await post(OPERATIONS, {
      operation: 'x',
      operationId: 'op-d',
      account: 'qa',
      senderId: a.id,
    });
    expect(refused.status).toBe(502);
    expect(refused.json()).toEqual({
      error: 'forward_failed',
      message: `cannot forward to Clouddriver instance "spin-clouddriver-7d9f8b6c5-ddddd" (http://127.0.0.1:${deadPort}): ECONNREFUSED (after 2 attempts)`,
    });
    k8s.remove('endpointslices', 'spin-clouddriver-dead1');
    await untilInstances(forwarder, (list) => list.length === 3);
    expect(delta(before, await forwardCounts())).toEqual({
      'operations/answered': 2,
      'operations/upstream_error': 1,
      'operations/timeout': 1,
      'operations/unreachable': 1,
    });
  });

  it('forwards a cache refresh to the ready owner of the account, otherwise round robin over ready instances', async () => {
    await register('agent-prod-54865d798c-cpqgm', b.id, ['prod-eks']);
    const body = { credentials: 'prod-eks', region: 'us-east-1', serverGroupName: 'app-main-v042' };
    b.answerOnce('/cache/aws/serverGroup', { status: 202, body: '{"cachedIdentifiersByType":{}}' });
    const owned = await post('/cache/aws/serverGroup', body);
    expect(owned.status).toBe(202);
    expect(b.requestsTo('/cache/aws/serverGroup').map((r) => r.body)).toEqual([body]);

    const unowned = { credentials: 'nonprod', region: 'eu-west-1', loadBalancerName: 'lb-1' };
    const handledBy = [];
    for (let i = 0; i < 4; i++) {
      const res = await post('/cache/aws/loadBalancer', unowned);
      expect(res.status).toBe(200);
      handledBy.push(res.json().handledBy);
    }
    // Only the ready instances (a and b), alternating; never the not-ready c.
    expect(new Set(handledBy)).toEqual(new Set([a.id, b.id]));
    expect(handledBy[0]).not.toBe(handledBy[1]);
    expect(c.received).toEqual([]);
  });

  it('rejects malformed, oversized and wrongly shaped bodies with a reason code', async () => {
    const malformed = await post(OPERATIONS, '{"operation": ');
    expect(malformed.status).toBe(400);
    expect(malformed.json()).toMatchObject({ error: 'malformed_json' });

    const tooLarge = await post(OPERATIONS, { operation: 'x'.repeat(300 * 1024) });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json()).toMatchObject({ error: 'payload_too_large' });

    const wrongType = await post(OPERATIONS, { operation: 42, senderId: a.id });
    expect(wrongType.json()).toEqual({
      error: 'schema_violation',
      message: 'operation: Invalid input: expected string, received number',
    });
    expect(wrongType.status).toBe(400);

    const polluting = await post(OPERATIONS, '{"operation":"x","__proto__":{"admin":true}}');
    expect(polluting.json()).toEqual({ error: 'forbidden_key', message: 'forbidden key __proto__' });

    const typo = await post(RESULTS, { result: 'x', operationID: 'op-1' });
    expect(typo.json()).toEqual({ error: 'schema_violation', message: '(body): unknown key(s) operationID' });

    const noRoute = await post(OPERATIONS, { operation: 'x', operationId: 'op-n', senderId: a.id });
    expect(noRoute.json()).toEqual({
      error: 'schema_violation',
      message: 'operation: names neither an agent (agentId) nor an account (account)',
    });

    const noSender = await post(OPERATIONS, { operation: 'x', operationId: 'op-s', account: 'prod-eks' });
    expect(noSender.status).toBe(400);
    expect(noSender.json()).toMatchObject({ error: 'unknown_sender' });

    // Text PostgreSQL cannot store never reaches the registry tables.
    expect(await register('agent-x', a.id, ['prod\u0000'])).toMatchObject({
      status: 400,
      body: { error: 'schema_violation' },
    });
    const storedOperation = await post(OPERATIONS, {
      operation: '{"id":"op\ud800","account":"prod-eks"}',
      senderId: a.id,
    });
    expect(storedOperation.status).toBe(400);
    expect(storedOperation.json()).toMatchObject({ error: 'schema_violation' });

    const badRegistration = await register('agent-x', 'Not_A_Pod', ['prod']);
    expect(badRegistration).toEqual({
      status: 400,
      body: { error: 'schema_violation', message: 'clouddriverId: a pod name' },
    });
    expect(a.received.concat(b.received, c.received)).toEqual([]);
  });

  it('documents every route in OpenAPI', async () => {
    const probe = await probeService(forwarder.baseUrl);
    expect(probe.openApi.paths).toEqual(
      expect.arrayContaining([
        '/armory/clouddrivers',
        '/armory/agent/operations',
        '/armory/agent/operationresults',
        '/armory/agents/{agentId}',
        '/cache/{provider}/{type}',
      ]),
    );
  });
});
