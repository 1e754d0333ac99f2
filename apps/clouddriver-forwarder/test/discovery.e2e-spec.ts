import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import { endpoints, endpointSlice } from './support/endpoint-objects';
import { FakeKubernetes } from './support/fake-kubernetes';
import {
  nextEvent,
  type RunningForwarder,
  startForwarder,
  untilInstances,
  untilStatus,
} from './support/forwarder-harness';

const NS = 'spinnaker';
const POD_A = 'spin-clouddriver-7d9f8b6c5-x2k4p';
const POD_B = 'spin-clouddriver-7d9f8b6c5-q8w7e';
const POD_C = 'spin-clouddriver-ro-5c4b9d7f8-m1n2b';

async function get(forwarder: RunningForwarder, path: string) {
  const res = await fetch(new URL(path, forwarder.baseUrl));
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text };
}

function metric(text: string, name: string, labels = ''): number | undefined {
  const escaped = `${name}${labels ? `{${labels}}` : ''}`.replace(/[{}"=.,]/g, (c) => `\\${c}`);
  const match = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

describe('clouddriver-forwarder discovery (fake Kubernetes API server)', () => {
  let db: TestDatabase;
  let k8s: FakeKubernetes;
  let forwarder: RunningForwarder;

  beforeAll(async () => {
    db = await createTestDatabase();
    k8s = await FakeKubernetes.start(NS);
    forwarder = await startForwarder(db.url, k8s.url, NS);
  });
  afterAll(async () => {
    await forwarder?.close();
    await k8s?.close();
    await db?.drop();
  });

  it('stays not ready while RBAC lacks list/watch, naming what is missing and the Role rule, until it is granted', async () => {
    const forbidden = await untilStatus(forwarder, (s) => s.phase === 'forbidden');
    expect(forbidden.message).toBe(
      'missing Kubernetes permission: list, watch on endpointslices.discovery.k8s.io in namespace "spinnaker"; ' +
        'grant it with this rule in a Role of namespace "spinnaker" bound to the forwarder\'s service account: ' +
        '{apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"]}',
    );
    const ready = await get(forwarder, '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.details.kubernetes).toMatchObject({
      status: 'down',
      phase: 'forbidden',
      namespace: NS,
      resource: 'endpointslices.discovery.k8s.io',
      missing: ['list endpointslices.discovery.k8s.io', 'watch endpointslices.discovery.k8s.io'],
      message: forbidden.message,
    });
    // It asked about both resources, in its namespace, and listed nothing it may not list.
    expect(k8s.accessReviews.slice(0, 4)).toEqual(
      expect.arrayContaining([
        { namespace: NS, verb: 'list', group: 'discovery.k8s.io', resource: 'endpointslices' },
        { namespace: NS, verb: 'watch', group: 'discovery.k8s.io', resource: 'endpointslices' },
        { namespace: NS, verb: 'list', group: '', resource: 'endpoints' },
        { namespace: NS, verb: 'watch', group: '', resource: 'endpoints' },
      ]),
    );
    expect(k8s.requests.filter((r) => r.path.endsWith('/endpointslices'))).toEqual([]);

    // Half a rule: the message narrows down to what is still missing (re-checked with backoff).
    k8s.grant('endpointslices', 'list');
    const narrowed = await untilStatus(
      forwarder,
      (s) => s.phase === 'forbidden' && !s.message?.includes('list,'),
    );
    expect(narrowed.message).toMatch(
      /^missing Kubernetes permission: watch on endpointslices\.discovery\.k8s\.io /,
    );

    // Fixing the Role is enough: no restart needed.
    k8s.grant('endpointslices', 'watch');
    await untilStatus(forwarder, (s) => s.phase === 'watching');
    const nowReady = await get(forwarder, '/health/ready');
    expect(nowReady.status).toBe(200);
    expect(nowReady.body.details.kubernetes).toMatchObject({
      status: 'up',
      phase: 'watching',
      instances: 0,
      readyInstances: 0,
    });
  });

  it('tracks Clouddriver pods as they come, become ready and go, in memory and in the registry table', async () => {
    k8s.apply(
      'endpointslices',
      endpointSlice('spin-clouddriver-abcde', 'spin-clouddriver', 7002, [
        { pod: POD_A, ip: '10.0.3.17', ready: false },
        { pod: POD_B, ip: '10.0.3.18' },
      ]),
    );
    // Another Service's slice and a slice without the http port are not Clouddriver instances.
    k8s.apply(
      'endpointslices',
      endpointSlice('spin-gate-x1y2z', 'spin-gate', 8084, [{ pod: 'spin-gate-1', ip: '10.0.4.1' }]),
    );
    k8s.apply(
      'endpointslices',
      endpointSlice(
        'spin-clouddriver-grpc-q9',
        'spin-clouddriver-grpc',
        9091,
        [{ pod: 'spin-x', ip: '10.0.4.2' }],
        {
          portName: 'grpc-only',
        },
      ),
    );
    const first = await untilInstances(forwarder, (list) => list.length === 2);
    expect(first.map(({ id, baseUrl, ready }) => ({ id, baseUrl, ready }))).toEqual([
      { id: POD_B, baseUrl: 'http://10.0.3.18:7002', ready: true },
      { id: POD_A, baseUrl: 'http://10.0.3.17:7002', ready: false },
    ]);
    const listed = await get(forwarder, '/armory/clouddrivers');
    expect(listed).toEqual({
      status: 200,
      body: [
        {
          id: POD_B,
          baseUrl: 'http://10.0.3.18:7002',
          lastUpdated: first[0].lastUpdated.toISOString(),
          ready: true,
        },
        {
          id: POD_A,
          baseUrl: 'http://10.0.3.17:7002',
          lastUpdated: first[1].lastUpdated.toISOString(),
          ready: false,
        },
      ],
    });
    await forwarder.registry.flushed();
    expect(await db.sql(`SELECT id, base_url, ready FROM clouddriver_instance ORDER BY id`)).toEqual([
      { id: POD_B, base_url: 'http://10.0.3.18:7002', ready: true },
      { id: POD_A, base_url: 'http://10.0.3.17:7002', ready: false },
    ]);

    // Pod A becomes ready; a pod of a second Clouddriver Service (same prefix) appears.
    k8s.apply(
      'endpointslices',
      endpointSlice('spin-clouddriver-abcde', 'spin-clouddriver', 7002, [
        { pod: POD_A, ip: '10.0.3.17' },
        { pod: POD_B, ip: '10.0.3.18' },
      ]),
    );
    k8s.apply(
      'endpointslices',
      endpointSlice('spin-clouddriver-ro-f00', 'spin-clouddriver-ro', 7002, [
        { pod: POD_C, ip: '10.0.3.30' },
      ]),
    );
    const second = await untilInstances(forwarder, (list) => list.length === 3 && list.every((i) => i.ready));
    const byId = new Map(second.map((i) => [i.id, i]));
    expect(byId.get(POD_B)!.lastUpdated).toEqual(first[0].lastUpdated); // unchanged entry keeps its time
    expect(byId.get(POD_A)!.lastUpdated.getTime()).toBeGreaterThan(first[1].lastUpdated.getTime());

    // Pod B terminates (kept, not ready), then goes; then the whole ro Service goes.
    k8s.apply(
      'endpointslices',
      endpointSlice('spin-clouddriver-abcde', 'spin-clouddriver', 7002, [
        { pod: POD_A, ip: '10.0.3.17' },
        { pod: POD_B, ip: '10.0.3.18', terminating: true },
      ]),
    );
    await untilInstances(forwarder, (list) => list.some((i) => i.id === POD_B && !i.ready));
    k8s.apply(
      'endpointslices',
      endpointSlice('spin-clouddriver-abcde', 'spin-clouddriver', 7002, [{ pod: POD_A, ip: '10.0.3.17' }]),
    );
    k8s.remove('endpointslices', 'spin-clouddriver-ro-f00');
    await untilInstances(forwarder, (list) => list.length === 1 && list[0].id === POD_A);
    await forwarder.registry.flushed();
    expect(await db.sql(`SELECT id, ready FROM clouddriver_instance`)).toEqual([{ id: POD_A, ready: true }]);

    const metrics = (await get(forwarder, '/metrics')).body as string;
    expect(metric(metrics, 'event_cache_clouddriver_instances_known')).toBe(1);
    expect(metric(metrics, 'event_cache_clouddriver_instances_ready')).toBe(1);
  });

  it('reconnects when the watch breaks mid-stream and catches up on what changed meanwhile', async () => {
    await k8s.watching('endpointslices');
    const restartsBefore = metric(
      (await get(forwarder, '/metrics')).body as string,
      'event_cache_clouddriver_watch_restarts_total',
      'resource="endpointslices",reason="error"',
    );
    const listsBefore = k8s.requests.filter(
      (r) => r.path.endsWith('/endpointslices') && !r.query.watch,
    ).length;
    const reconnected = nextEvent(k8s, 'watch');
    k8s.breakWatches();
    // Changed while the forwarder is disconnected: the resumed watch replays it.
    k8s.apply(
      'endpointslices',
      endpointSlice('spin-clouddriver-abcde', 'spin-clouddriver', 7002, [
        { pod: POD_A, ip: '10.0.3.17' },
        { pod: POD_B, ip: '10.0.3.44' },
      ]),
    );
    const [, query] = (await reconnected) as [string, Record<string, string>];
    expect(query).toMatchObject({ watch: 'true', allowWatchBookmarks: 'true', timeoutSeconds: '300' });
    expect(Number(query.resourceVersion)).toBeGreaterThan(0);
    const instances = await untilInstances(forwarder, (list) => list.length === 2);
    expect(instances.find((i) => i.id === POD_B)).toMatchObject({
      baseUrl: 'http://10.0.3.44:7002',
      ready: true,
    });
    // Resumed from its resourceVersion: no re-list was needed.
    expect(k8s.requests.filter((r) => r.path.endsWith('/endpointslices') && !r.query.watch)).toHaveLength(
      listsBefore,
    );
    const metrics = (await get(forwarder, '/metrics')).body as string;
    expect(
      metric(
        metrics,
        'event_cache_clouddriver_watch_restarts_total',
        'resource="endpointslices",reason="error"',
      ),
    ).toBe((restartsBefore ?? 0) + 1);
    expect((await get(forwarder, '/health/ready')).body.details.kubernetes.phase).toBe('watching');
  });

  it('re-lists when its resourceVersion is too old (410 Gone), and also sees deletions it missed', async () => {
    await k8s.watching('endpointslices');
    const relisted = nextEvent(k8s, 'list');
    k8s.breakWatches();
    // While disconnected: B goes and the history is compacted, so resuming cannot replay it.
    k8s.apply(
      'endpointslices',
      endpointSlice('spin-clouddriver-abcde', 'spin-clouddriver', 7002, [{ pod: POD_A, ip: '10.0.3.17' }]),
    );
    k8s.compact();
    await relisted;
    await untilInstances(forwarder, (list) => list.length === 1 && list[0].id === POD_A);
    const metrics = (await get(forwarder, '/metrics')).body as string;
    expect(
      metric(
        metrics,
        'event_cache_clouddriver_watch_restarts_total',
        'resource="endpointslices",reason="expired"',
      ),
    ).toBe(1);

    // The same with the 410 as the HTTP status of the watch request.
    k8s.goneAsHttpStatus = true;
    await k8s.watching('endpointslices');
    const relistedAgain = nextEvent(k8s, 'list');
    k8s.breakWatches();
    k8s.apply(
      'endpointslices',
      endpointSlice('spin-clouddriver-abcde', 'spin-clouddriver', 7002, [{ pod: POD_B, ip: '10.0.3.18' }]),
    );
    k8s.compact();
    await relistedAgain;
    await untilInstances(forwarder, (list) => list.length === 1 && list[0].id === POD_B);
    await untilStatus(forwarder, (s) => s.phase === 'watching');
    k8s.goneAsHttpStatus = false;
  });

  it('keeps its resourceVersion current from BOOKMARKs, so a resumed watch needs no re-list', async () => {
    const lists = () =>
      k8s.requests.filter((r) => r.path.endsWith('/endpointslices') && !r.query.watch).length;
    await k8s.watching('endpointslices');
    const listsBefore = lists();
    // Other resources move the shared resourceVersion on; the slice watch only learns it from a bookmark.
    k8s.apply('endpoints', endpoints('spin-echo', 8089, [{ pod: 'spin-echo-1', ip: '10.0.5.1' }]));
    k8s.bookmark();
    const bookmarked = k8s.resourceVersion;
    k8s.compact();
    const resumed = nextEvent(k8s, 'watch');
    k8s.endWatches(); // the server-side watch timeout
    const [, query] = (await resumed) as [string, Record<string, string>];
    expect(query.resourceVersion).toBe(bookmarked);
    await untilStatus(forwarder, (s) => s.phase === 'watching');
    expect(lists()).toBe(listsBefore);
    const metrics = (await get(forwarder, '/metrics')).body as string;
    expect(
      metric(
        metrics,
        'event_cache_clouddriver_watch_restarts_total',
        'resource="endpointslices",reason="closed"',
      ),
    ).toBe(1);
  });

  it('keeps serving the last known instances while the API server is down, and says so', async () => {
    await k8s.watching('endpointslices');
    k8s.revokeAll(); // every reconnect now fails with 403
    k8s.breakWatches();
    const status = await untilStatus(
      forwarder,
      (s) => s.phase === 'reconnecting' && !!s.message?.includes('403'),
    );
    expect(status.message).toMatch(
      /^watch of endpointslices\.discovery\.k8s\.io in namespace "spinnaker" failed: HTTP 403/,
    );
    const ready = await get(forwarder, '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.details.kubernetes).toMatchObject({ phase: 'reconnecting', instances: 1 });
    expect((await get(forwarder, '/armory/clouddrivers')).body).toEqual([
      expect.objectContaining({ id: POD_B }),
    ]);

    k8s.grant('endpointslices', 'list', 'watch');
    await untilStatus(forwarder, (s) => s.phase === 'watching');
  });
});

describe('clouddriver-forwarder discovery on an API server without EndpointSlices', () => {
  let db: TestDatabase;
  let k8s: FakeKubernetes;
  let forwarder: RunningForwarder;

  beforeAll(async () => {
    db = await createTestDatabase();
    k8s = await FakeKubernetes.start('spinnaker-legacy');
    k8s.servesEndpointSlices = false;
    k8s.grant('endpoints', 'list', 'watch'); // no rights on slices at all: not needed here
    k8s.apply(
      'endpoints',
      endpoints('spin-clouddriver', 7002, [
        { pod: POD_A, ip: '10.1.0.5' },
        { pod: POD_B, ip: '10.1.0.6', ready: false },
      ]),
    );
    k8s.apply('endpoints', endpoints('spin-echo', 8089, [{ pod: 'spin-echo-1', ip: '10.1.0.9' }]));
    forwarder = await startForwarder(db.url, k8s.url, 'spinnaker-legacy');
  });
  afterAll(async () => {
    await forwarder?.close();
    await k8s?.close();
    await db?.drop();
  });

  it('watches Endpoints instead, with not-ready addresses kept as not ready', async () => {
    await untilStatus(forwarder, (s) => s.phase === 'watching');
    expect(forwarder.discovery.status()).toMatchObject({
      resource: 'endpoints',
      namespace: 'spinnaker-legacy',
    });
    expect((await get(forwarder, '/armory/clouddrivers')).body).toEqual([
      expect.objectContaining({ id: POD_B, baseUrl: 'http://10.1.0.6:7002', ready: false }),
      expect.objectContaining({ id: POD_A, baseUrl: 'http://10.1.0.5:7002', ready: true }),
    ]);

    k8s.apply('endpoints', endpoints('spin-clouddriver', 7002, [{ pod: POD_B, ip: '10.1.0.6' }]));
    await untilInstances(forwarder, (list) => list.length === 1 && list[0].id === POD_B && list[0].ready);
    expect(k8s.requests.some((r) => r.path.includes('endpointslices'))).toBe(false);
  });
});
