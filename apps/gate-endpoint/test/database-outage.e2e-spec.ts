import type { INestApplication } from '@nestjs/common';
import { migrate } from '@event-cache/cache-store';
import { startService } from '@event-cache/platform';
import {
  answerOf,
  eventually,
  type RunningPostgres,
  sqlOn,
  startOwnDatabase,
  whileFrozen,
  whileHalted,
} from '@event-cache/testing';
import { service } from '../src/service';
import { API_KEY, BASE_CONFIG, event, writeConfig } from './support';

// Outages take a while to ride out: every wait below is a condition with a generous bound.
jest.setTimeout(180_000);
const LONG = 60_000;

/** gate-endpoint against a PostgreSQL of its own that the tests stop and freeze. */
describe('gate-endpoint through database outages (its own PostgreSQL)', () => {
  let pg: RunningPostgres;
  let url: string;
  let app: INestApplication;
  let baseUrl: string;

  beforeAll(async () => {
    ({ pg, url } = await startOwnDatabase((databaseUrl) => migrate({ url: databaseUrl })));
    app = await startService(service, {
      DATABASE_URL: url,
      EVENT_CACHE_CONFIG: writeConfig(`${BASE_CONFIG}
database:
  statementTimeoutMs: 2000
  connectTimeoutMs: 2000
health:
  readinessTimeoutMs: 1000
`),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
    });
    baseUrl = await app.getUrl();
  });
  afterAll(async () => {
    pg?.thaw();
    await app?.close();
    await pg?.stop();
  });

  const post = (e: Record<string, unknown>) =>
    answerOf(baseUrl, 'POST', '/events', { body: e, headers: { 'x-api-key': API_KEY } });
  const get = (path: string) => answerOf(baseUrl, 'GET', path);
  const inboxIds = async () =>
    (await sqlOn(url)<{ event_id: string }>(`SELECT event_id FROM event_inbox`)).map((r) => r.event_id);
  const until = (status: number) =>
    eventually(async () => (await get('/health/ready')).status === status, `readiness ${status}`, LONG);

  it('answers 503 database_unavailable (with Retry-After) while the database is stopped, and accepts again once it is back', async () => {
    const before = event('ec2-instance-state-change.json');
    expect((await post(before)).status).toBe(202);
    await whileHalted(pg, async () => {
      await until(503);
      expect((await get('/health/ready')).body.details.database.status).toBe('down');
      const refused = await post(event('ec2-instance-state-change.json'));
      expect(refused).toMatchObject({ status: 503, body: { error: 'database_unavailable' } });
      expect(refused.headers.get('retry-after')).toBe('5');
      // A burst is refused as a whole, not retried row by row behind the failing statement.
      const burst = Array.from({ length: 20 }, () => event('ec2-instance-state-change.json'));
      const answers = await Promise.all(burst.map(post));
      expect(answers.map((a) => a.status)).toEqual(burst.map(() => 503));
      expect((await get('/health/live')).status).toBe(200);

      await pg.restart();
      await until(200);
      // The senders (SNS, the API destination) deliver again what was refused.
      const again = await Promise.all(burst.map(post));
      expect(again.map((a) => a.status)).toEqual(burst.map(() => 202));
      expect(await inboxIds()).toEqual(expect.arrayContaining([before.id, ...burst.map((e) => e.id)]));
    });
  });

  it('answers readiness and deliveries while the database is frozen, and accepts again once it thaws', async () => {
    await whileFrozen(pg, async () => {
      const notReady = await get('/health/ready');
      expect(notReady.status).toBe(503);
      expect(notReady.body.details.database).toMatchObject({ status: 'down', timedOut: true });
      expect((await post(event('ec2-instance-state-change.json'))).status).toBe(503);
      expect((await get('/health/live')).status).toBe(200);
    });
    await until(200);
    const after = event('ec2-instance-state-change.json');
    expect((await post(after)).status).toBe(202);
    expect(await inboxIds()).toContain(after.id);
  });
});
