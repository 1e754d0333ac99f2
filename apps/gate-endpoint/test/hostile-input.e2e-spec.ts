import { openCacheStore } from '@event-cache/cache-store';
import { slowUpload, type TestDatabase } from '@event-cache/testing';
import { ADMIN_TOKEN, API_KEY, call, event, startGateEndpoint } from './support';

const cursorOf = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

describe('gate-endpoint: hostile input (booted against PostgreSQL)', () => {
  let db: TestDatabase;
  let baseUrl: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ db, baseUrl, close } = await startGateEndpoint());
    // An agent for the interval cases to match: the reason would be written.
    const opened = await openCacheStore(db.url, { poolSize: 1 });
    await opened.store.schedules.register([
      {
        agentId: 'prod/us-east-1/InstanceCachingAgent',
        kind: 'InstanceCachingAgent',
        account: 'prod',
        region: 'us-east-1',
        baseIntervalMs: 30_000,
        firstRunAt: new Date(Date.now() + 3_600_000),
      },
    ]);
    await opened.close();
  });
  afterAll(() => close?.());

  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

  describe('text PostgreSQL cannot store (U+0000, unpaired surrogates) is refused where it enters', () => {
    const cases: { what: string; method: string; path: string; body?: unknown; headers?: object }[] = [
      {
        what: 'a resources cursor',
        method: 'GET',
        path: `/resources/instances?cursor=${cursorOf('aws:i\u0000')}`,
      },
      { what: 'a key glob', method: 'GET', path: '/resources/instances?key=aws:instances:%00*' },
      { what: 'an application', method: 'GET', path: '/resources/instances?application=orders%00' },
      { what: 'a resource key in the path', method: 'GET', path: '/resources/instances/aws%3Ainstances%00' },
      { what: 'an on-demand id', method: 'GET', path: '/cache/aws/ServerGroup?id=aws:serverGroups:%00' },
      {
        what: 'a security group name (unpaired surrogate)',
        method: 'POST',
        path: '/cache/aws/SecurityGroup',
        body: { account: 'prod', region: 'us-east-1', securityGroupName: 'web\ud800' },
      },
      {
        what: 'an account (U+0000)',
        method: 'POST',
        path: '/cache/aws/LoadBalancer',
        body: { account: 'prod\u0000', region: 'us-east-1', loadBalancerName: 'web' },
      },
      {
        what: 'an interval reason',
        method: 'PUT',
        path: '/admin/intervals',
        body: { agentId: '*', seconds: 60, reason: 'slow \u0000 down' },
        headers: admin,
      },
      {
        what: 'an interval reason (unpaired surrogate)',
        method: 'PUT',
        path: '/admin/intervals',
        body: { agentId: '*', seconds: 60, reason: 'slow \udc00 down' },
        headers: admin,
      },
      { what: 'an event id in the path', method: 'GET', path: '/admin/events/e%00', headers: admin },
      {
        what: 'an audit-trail cursor naming an impossible time',
        method: 'GET',
        path: `/admin/events?cursor=${cursorOf('2024-13-45 99:99:99+00\ne1')}`,
        headers: admin,
      },
      {
        what: 'an audit-trail cursor naming a time PostgreSQL cannot hold',
        method: 'GET',
        path: `/admin/events?cursor=${cursorOf('2024-01-01 00:00:00+99\ne1')}`,
        headers: admin,
      },
      {
        what: 'an audit-trail cursor holding U+0000',
        method: 'GET',
        path: `/admin/events?cursor=${cursorOf('2024-01-01 00:00:00+00\ne\u0000')}`,
        headers: admin,
      },
    ];

    it.each(cases)('400 schema_violation for $what, never a 500', async ({ method, path, body, headers }) => {
      const answer = await call(baseUrl, method, path, body, headers as Record<string, string>);
      expect({ status: answer.status, error: answer.body?.error }).toEqual({
        status: 400,
        error: 'schema_violation',
      });
      expect(Object.keys(answer.body as object).sort()).toEqual(['error', 'message']);
    });

    it('refuses an event carrying such text at the door and stores nothing', async () => {
      const bad = event('ec2-instance-state-change.json', {
        'detail-type': 'EC2 Instance State-change\u0000',
      });
      expect(await call(baseUrl, 'POST', '/events', bad, { 'x-api-key': API_KEY })).toMatchObject({
        status: 400,
      });
      expect(await db.sql('SELECT event_id FROM event_inbox')).toEqual([]);
    });
  });

  describe('malformed requests answer {error, message} with a code, never echoing the input', () => {
    it('400 malformed_path for undecodable percent-encoding in a path parameter', async () => {
      for (const [path, headers] of [
        ['/resources/instances/%E0%A4%A', {}],
        ['/cache/aws/%ZZ', {}],
        ['/refreshes/%C3', {}],
        ['/admin/events/%FF', admin],
      ] as const) {
        const answer = await call(baseUrl, 'GET', path, undefined, headers);
        expect({ path, status: answer.status, body: answer.body }).toEqual({
          path,
          status: 400,
          body: { error: 'malformed_path', message: expect.any(String) },
        });
        expect(answer.body.message).not.toContain('%');
      }
    });

    it('400 malformed_json for a body that is not JSON, without quoting it', async () => {
      const answer = await call(baseUrl, 'POST', '/cache/aws/ServerGroup', '{"account": "prod", SECRET-ish', {
        'content-type': 'application/json',
      });
      expect(answer).toMatchObject({
        status: 400,
        body: { error: 'malformed_json', message: expect.any(String) },
      });
      expect(Object.keys(answer.body as object).sort()).toEqual(['error', 'message']);
      expect(answer.body.message).not.toContain('SECRET');
    });

    it('404 not_found for an unknown route or method', async () => {
      for (const [method, path] of [
        ['GET', '/no/such/route'],
        ['DELETE', '/cache/aws/ServerGroup'],
        ['POST', '/resources/instances'],
      ]) {
        const answer = await call(baseUrl, method, path);
        expect({ method, path, status: answer.status, body: answer.body }).toEqual({
          method,
          path,
          status: 404,
          body: { error: 'not_found', message: expect.any(String) },
        });
        expect(answer.body.message).not.toContain(path);
      }
    });
  });

  describe('bodies are not read before the caller is known, nor past their limit', () => {
    it('POST /events answers 401 without a key before the body is sent', async () => {
      const answer = await slowUpload(baseUrl, {
        path: '/events',
        send: 64 * 1024,
        declaredLength: 1024 * 1024,
      });
      expect(answer).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    });

    it('POST /events answers 413 at once when the announced length is over 256 KiB', async () => {
      const answer = await slowUpload(baseUrl, {
        path: '/events',
        headers: { 'x-api-key': API_KEY },
        send: 16 * 1024,
        declaredLength: 300 * 1024,
      });
      expect(answer).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
    });

    it('POST /events and /events/sns stop reading a chunked body at 256 KiB: 413', async () => {
      for (const [path, headers] of [
        ['/events', { 'x-api-key': API_KEY }],
        ['/events/sns', { 'content-type': 'text/plain; charset=UTF-8' }],
      ] as const) {
        const answer = await slowUpload(baseUrl, { path, headers, send: 320 * 1024 });
        expect({ path, status: answer.status, body: answer.body }).toEqual({
          path,
          status: 413,
          body: { error: 'payload_too_large', message: expect.any(String) },
        });
      }
      const metrics = (await call(baseUrl, 'GET', '/metrics')).body as string;
      expect(metrics).toMatch(
        /event_cache_events_received_total{channel="sns",outcome="rejected",reason="payload_too_large"} 1/,
      );
    });

    it('admin routes answer 401 without the token before reading (or parsing) the body', async () => {
      const answer = await slowUpload(baseUrl, {
        method: 'PUT',
        path: '/admin/intervals',
        send: 16 * 1024,
        declaredLength: 200 * 1024,
      });
      expect(answer).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
      expect(
        await call(baseUrl, 'POST', '/admin/agents/pause', '{not json', {
          'content-type': 'application/json',
        }),
      ).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    });

    it('JSON routes stop reading past 256 KiB: 413 payload_too_large', async () => {
      const answer = await slowUpload(baseUrl, { path: '/cache/aws/ServerGroup', send: 320 * 1024 });
      expect(answer).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
    });
  });
});
