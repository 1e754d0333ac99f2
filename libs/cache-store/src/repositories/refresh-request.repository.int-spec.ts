import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import { openCacheStore, type CacheStore } from '../cache-store';
import type { RefreshOrigin } from '../entities';
import type { RefreshEnqueue, RefreshRequestView } from './refresh-request.repository';

const ago = (ms: number) => new Date(Date.now() - ms);

function serverGroupRequest(
  asg: string,
  origin: RefreshOrigin,
  requestedAt: Date,
  account = 'prod',
  region = 'us-east-1',
): RefreshEnqueue {
  const cluster = asg.replace(/-v\d{3}$/, '');
  return {
    type: 'serverGroups',
    key: `aws:serverGroups:${cluster}:${account}:${region}:${asg}`,
    account,
    region,
    origin,
    requestedAt,
    target: { asgName: asg },
  };
}

function instanceRequest(
  id: string,
  requestedAt: Date,
  account = 'prod',
  region = 'us-east-1',
  origin: RefreshOrigin = 'event',
): RefreshEnqueue {
  return {
    type: 'instances',
    key: `aws:instances:${account}:${region}:${id}`,
    account,
    region,
    origin,
    requestedAt,
  };
}

const idsOf = (views: RefreshRequestView[]) => views.map((v) => v.id);

describe('RefreshRequestRepository', () => {
  let db: TestDatabase;
  let a: CacheStore;
  let b: CacheStore;
  let closeAll: () => Promise<void>;

  beforeAll(async () => {
    db = await createTestDatabase();
    const first = await openCacheStore(db.url, { poolSize: 4, applicationName: 'worker-a' });
    const second = await openCacheStore(db.url, { poolSize: 4, applicationName: 'worker-b' });
    a = first.store;
    b = second.store;
    closeAll = async () => {
      await first.close();
      await second.close();
    };
  });
  afterAll(async () => {
    await closeAll();
    await db.drop();
  });
  beforeEach(async () => {
    await db.sql('TRUNCATE refresh_request');
  });

  const claim = (store: CacheStore, worker: string, limit = 50, types?: string[]) =>
    store.refreshes.claimBatch({ worker, limit, claimTtlMs: 60_000, types });
  const expireClaims = () =>
    db.sql(
      `UPDATE refresh_request SET claim_expires_at = now() - interval '1 second' WHERE status = 'claimed'`,
    );
  const makeEligible = () =>
    db.sql(`UPDATE refresh_request SET not_before = now() - interval '1 second' WHERE status = 'pending'`);
  const backoffSeconds = async (id: string) =>
    Number(
      (
        await db.sql<{ s: string }>(
          'SELECT EXTRACT(EPOCH FROM not_before - now())::float8 AS s FROM refresh_request WHERE id = $1',
          [id],
        )
      )[0].s,
    );

  describe('enqueue', () => {
    it('coalesces requests for a pending key: latest requestedAt, strongest origin, counted', async () => {
      const t = ago(60_000);
      const at = (s: number) => new Date(t.getTime() + s * 1000);
      const [first] = await a.refreshes.enqueue([serverGroupRequest('app-main-v001', 'event', at(0))]);
      expect(first.coalesced).toBe(false);

      const steps: [RefreshOrigin, number, RefreshOrigin][] = [
        ['manual', 5, 'manual'],
        ['event', 1, 'manual'], // an older request never moves requestedAt back
        ['on-demand', 2, 'on-demand'],
        ['manual', 3, 'on-demand'],
        ['event', 4, 'on-demand'],
      ];
      for (const [origin, s, expected] of steps) {
        const [again] = await a.refreshes.enqueue([serverGroupRequest('app-main-v001', origin, at(s))]);
        expect(again).toEqual({ id: first.id, key: first.key, coalesced: true });
        expect((await a.refreshes.findById(first.id))?.origin).toBe(expected);
      }

      expect(await a.refreshes.findById(first.id)).toMatchObject({
        status: 'pending',
        requestedAt: at(5),
        requestCount: 6,
        target: { asgName: 'app-main-v001' },
        account: 'prod',
        region: 'us-east-1',
        type: 'serverGroups',
      });
      expect(await a.refreshes.countByStatus()).toEqual({ pending: 1 });
    });

    it('coalesces duplicates within one call, answering in the caller order', async () => {
      const out = await a.refreshes.enqueue([
        serverGroupRequest('app-main-v001', 'event', ago(30_000)),
        instanceRequest('i-0abc0001', ago(30_000)),
        serverGroupRequest('app-main-v001', 'on-demand', ago(10_000)),
      ]);
      expect(out.map((o) => [o.key, o.coalesced])).toEqual([
        ['aws:serverGroups:app-main:prod:us-east-1:app-main-v001', false],
        ['aws:instances:prod:us-east-1:i-0abc0001', false],
        ['aws:serverGroups:app-main:prod:us-east-1:app-main-v001', true],
      ]);
      expect(out[2].id).toBe(out[0].id);
      expect(await a.refreshes.findById(out[0].id)).toMatchObject({ origin: 'on-demand', requestCount: 2 });
      expect(await a.refreshes.enqueue([])).toEqual([]);
    });

    it('from two replicas at once leaves exactly one pending request per key, without deadlocking', async () => {
      for (let round = 0; round < 10; round += 1) {
        const requests = Array.from({ length: 200 }, (_, i) =>
          instanceRequest(`i-0r${round}x${String(i).padStart(4, '0')}`, ago(1_000)),
        );
        const [fromA, fromB] = await Promise.all([
          a.refreshes.enqueue(requests),
          b.refreshes.enqueue([...requests].reverse()),
        ]);
        const byKeyB = new Map(fromB.map((r) => [r.key, r]));
        for (const ra of fromA) {
          const rb = byKeyB.get(ra.key)!;
          expect(rb.id).toBe(ra.id); // the same request
          expect([ra.coalesced, rb.coalesced].sort()).toEqual([false, true]); // one created it
        }
        const rows = await db.sql<{ n: string; counts: number[] }>(
          `SELECT count(*) AS n, array_agg(DISTINCT request_count) AS counts FROM refresh_request
            WHERE status = 'pending' AND key LIKE $1`,
          [`aws:instances:prod:us-east-1:i-0r${round}x%`],
        );
        expect(rows).toEqual([{ n: '200', counts: [2] }]);
      }
    });

    it('after a claim, starts a new pending request for the same key', async () => {
      const [first] = await a.refreshes.enqueue([instanceRequest('i-0abc0001', ago(5_000))]);
      await claim(a, 'worker-a');
      const [second] = await a.refreshes.enqueue([instanceRequest('i-0abc0001', ago(1_000))]);
      expect(second.coalesced).toBe(false);
      expect(second.id).not.toBe(first.id);
      expect(await a.refreshes.countByStatus()).toEqual({ pending: 1, claimed: 1 });
    });

    it('parks a delayed request until its delay is over; an immediate ask for the key overtakes it', async () => {
      const [delayed] = await a.refreshes.enqueue([
        { ...instanceRequest('i-0abc0002', ago(0)), delayMs: 30_000 },
        { ...instanceRequest('i-0abc0003', ago(0)), delayMs: 30_000 },
      ]);
      expect(await backoffSeconds(delayed.id)).toBeGreaterThan(25);
      expect(await claim(a, 'worker-a')).toEqual([]);

      // An event for the first key while it waits: one request, claimable at once.
      const [now] = await a.refreshes.enqueue([instanceRequest('i-0abc0002', ago(0))]);
      expect(now).toEqual({ id: delayed.id, key: delayed.key, coalesced: true });
      expect((await claim(a, 'worker-a')).map((r) => r.key)).toEqual([delayed.key]);
      expect(await a.refreshes.countByStatus()).toEqual({ pending: 1, claimed: 1 });

      // A second delayed ask never pushes the wait further out than the first.
      const [third] = await a.refreshes.enqueue([
        { ...instanceRequest('i-0abc0003', ago(0)), delayMs: 600_000 },
      ]);
      expect(third.coalesced).toBe(true);
      expect(await backoffSeconds(third.id)).toBeLessThan(31);
    });
  });

  describe('claimBatch', () => {
    it('claims the oldest waiting account/region/type group, oldest first, up to the limit', async () => {
      await a.refreshes.enqueue([
        instanceRequest('i-0abc0003', ago(10_000)),
        instanceRequest('i-0abc0001', ago(50_000)),
        instanceRequest('i-0abc0002', ago(40_000)),
        serverGroupRequest('app-main-v001', 'event', ago(45_000)),
        instanceRequest('i-0west0001', ago(48_000), 'prod', 'us-west-2'),
        instanceRequest('i-0stg00001', ago(30_000), 'staging'),
      ]);

      const first = await claim(a, 'worker-a', 2);
      expect(first.map((r) => r.key)).toEqual([
        'aws:instances:prod:us-east-1:i-0abc0001',
        'aws:instances:prod:us-east-1:i-0abc0002',
      ]);
      for (const r of first)
        expect(r).toMatchObject({ status: 'claimed', claimedBy: 'worker-a', attempts: 1 });

      const groups = [];
      for (let call = 1; ; call += 1) {
        if (call > 100) throw new Error('still handing out work after 100 calls');
        const batch = await claim(a, 'worker-a', 10, ['instances']);
        if (batch.length === 0) break;
        groups.push(batch.map((r) => r.key));
      }
      expect(groups).toEqual([
        ['aws:instances:prod:us-west-2:i-0west0001'],
        ['aws:instances:staging:us-east-1:i-0stg00001'],
        ['aws:instances:prod:us-east-1:i-0abc0003'],
      ]);
      expect((await claim(a, 'worker-a')).map((r) => r.type)).toEqual(['serverGroups']);
      expect(await claim(a, 'worker-a')).toEqual([]);
    });

    it('never gives the same request to two workers claiming at once', async () => {
      const requests: RefreshEnqueue[] = [];
      for (const account of ['prod', 'staging'])
        for (const region of ['us-east-1', 'us-west-2', 'eu-west-1'])
          for (let i = 0; i < 30; i += 1) {
            requests.push(
              instanceRequest(`i-0c${String(i).padStart(4, '0')}`, ago(60_000 - i), account, region),
            );
            requests.push(serverGroupRequest(`app${i}-main-v001`, 'event', ago(60_000 - i), account, region));
          }
      const enqueued = await a.refreshes.enqueue(requests);

      const drain = async (store: CacheStore, worker: string) => {
        const mine: RefreshRequestView[] = [];
        for (let call = 1; ; call += 1) {
          if (call > 100) throw new Error('still handing out work after 100 calls');
          const batch = await claim(store, worker, 7);
          if (batch.length === 0) return mine;
          expect(new Set(batch.map((r) => `${r.account}/${r.region}/${r.type}`)).size).toBe(1);
          mine.push(...batch);
        }
      };
      const [fromA, fromB] = await Promise.all([drain(a, 'worker-a'), drain(b, 'worker-b')]);

      const claimed = [...idsOf(fromA), ...idsOf(fromB)];
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed.sort()).toEqual(enqueued.map((e) => e.id).sort());
      expect(fromA.length).toBeGreaterThan(0);
      expect(fromB.length).toBeGreaterThan(0);
    });

    it('claims again a request whose claim expired, and only the new claimer can complete it', async () => {
      const [req] = await a.refreshes.enqueue([instanceRequest('i-0abc0001', ago(5_000))]);
      const readStartedAt = new Date();
      await claim(a, 'worker-a');
      expect(await claim(b, 'worker-b')).toEqual([]);

      await expireClaims(); // worker-a died
      const [again] = await claim(b, 'worker-b');
      expect(again).toMatchObject({ id: req.id, claimedBy: 'worker-b', attempts: 2, status: 'claimed' });

      expect(await a.refreshes.complete('worker-a', [req.id], readStartedAt)).toEqual([]);
      expect(await b.refreshes.complete('worker-b', [req.id], readStartedAt)).toEqual([req.id]);
    });
  });

  describe('complete', () => {
    it('completes only requests asked for no later than the read started', async () => {
      const [early, late] = await a.refreshes.enqueue([
        instanceRequest('i-0abc0001', ago(10_000)),
        instanceRequest('i-0abc0002', ago(1_000)),
      ]);
      await claim(a, 'worker-a');

      const before = Date.now();
      expect(await a.refreshes.complete('worker-a', [early.id, late.id], ago(5_000))).toEqual([early.id]);
      const done = await a.refreshes.findById(early.id);
      expect(done).toMatchObject({ status: 'succeeded', processedCount: 1, error: null });
      expect(done!.processedAt!.getTime()).toBeGreaterThanOrEqual(before - 1_000);
      expect((await a.refreshes.findById(late.id))?.status).toBe('claimed');

      // Not twice, not by someone else.
      expect(await a.refreshes.complete('worker-a', [early.id], new Date())).toEqual([]);
      expect(await b.refreshes.complete('worker-b', [late.id], new Date())).toEqual([]);
      expect(await a.refreshes.complete('worker-a', [], new Date())).toEqual([]);
    });
  });

  describe('fail', () => {
    it('retries with exponential backoff, then gives up after maxAttempts', async () => {
      const [req] = await a.refreshes.enqueue([instanceRequest('i-0abc0001', ago(5_000))]);
      const policy = { maxAttempts: 3, backoffMs: 10_000 };

      await claim(a, 'worker-a');
      expect(
        await a.refreshes.fail('worker-a', [{ id: req.id, error: 'ThrottlingException' }], policy),
      ).toEqual([{ id: req.id, status: 'pending' }]);
      expect(await a.refreshes.findById(req.id)).toMatchObject({
        status: 'pending',
        error: 'ThrottlingException',
        claimedBy: null,
        attempts: 1,
      });
      expect(await backoffSeconds(req.id)).toBeGreaterThan(8);
      expect(await backoffSeconds(req.id)).toBeLessThanOrEqual(10);
      expect(await claim(a, 'worker-a')).toEqual([]); // not before the backoff

      await makeEligible();
      await claim(a, 'worker-a');
      await a.refreshes.fail('worker-a', [{ id: req.id, error: 'ThrottlingException' }], policy);
      expect(await backoffSeconds(req.id)).toBeGreaterThan(18);
      expect(await backoffSeconds(req.id)).toBeLessThanOrEqual(20);

      await makeEligible();
      await claim(a, 'worker-a');
      // A non-claimer's failure report changes nothing.
      expect(await b.refreshes.fail('worker-b', [{ id: req.id, error: 'x' }], policy)).toEqual([]);
      expect(await a.refreshes.fail('worker-a', [{ id: req.id, error: 'AccessDenied' }], policy)).toEqual([
        { id: req.id, status: 'failed' },
      ]);
      const failed = await a.refreshes.findById(req.id);
      expect(failed).toMatchObject({ status: 'failed', attempts: 3, error: 'AccessDenied' });
      expect(failed?.processedAt).toBeInstanceOf(Date);
      expect(await claim(a, 'worker-a')).toEqual([]);
      expect(await a.refreshes.fail('worker-a', [], policy)).toEqual([]);
    });

    it('folds a failed request into a newer pending one for the same key, which findById then follows', async () => {
      const orca = serverGroupRequest('app-main-v001', 'on-demand', ago(20_000));
      const [original] = await a.refreshes.enqueue([orca]);
      await claim(a, 'worker-a');
      const [newer] = await a.refreshes.enqueue([serverGroupRequest('app-main-v001', 'event', ago(1_000))]);
      expect(newer.id).not.toBe(original.id);

      expect(
        await a.refreshes.fail('worker-a', [{ id: original.id, error: 'RequestLimitExceeded' }], {
          maxAttempts: 5,
          backoffMs: 1_000,
        }),
      ).toEqual([{ id: original.id, status: 'merged' }]);
      expect(await a.refreshes.countByStatus()).toEqual({ pending: 1, merged: 1 });
      expect(await a.refreshes.findById(original.id)).toMatchObject({
        id: original.id,
        key: orca.key,
        status: 'pending',
      });

      // Orca polls for its on-demand request: the request it folded into must answer for it.
      const pending = await a.refreshes.listOnDemand({ type: 'serverGroups', processedSince: ago(60_000) });
      expect(pending.map((p) => [p.id, p.status])).toEqual([[newer.id, 'pending']]);
      expect(pending[0].requestCount).toBe(2);

      const [reclaimed] = await claim(b, 'worker-b');
      expect(reclaimed.id).toBe(newer.id);
      await b.refreshes.complete('worker-b', [newer.id], new Date());
      expect(await a.refreshes.findById(original.id)).toMatchObject({ id: original.id, status: 'succeeded' });
    });

    it('folds older failed claims of a key into the newest one, which keeps their on-demand origin', async () => {
      const orca = serverGroupRequest('app-main-v001', 'on-demand', ago(20_000));
      const [original] = await a.refreshes.enqueue([orca]);
      await claim(a, 'worker-a');
      await expireClaims(); // worker-a stalled; its claim is up for grabs again
      const [newer] = await a.refreshes.enqueue([serverGroupRequest('app-main-v001', 'event', ago(1_000))]);
      const both = await claim(b, 'worker-b');
      expect(idsOf(both)).toEqual([original.id, newer.id]);

      const failed = await b.refreshes.fail(
        'worker-b',
        both.map((r) => ({ id: r.id, error: 'RequestLimitExceeded' })),
        { maxAttempts: 5, backoffMs: 1_000 },
      );
      expect(failed.sort((x, y) => Number(x.id) - Number(y.id))).toEqual([
        { id: original.id, status: 'merged' },
        { id: newer.id, status: 'pending' },
      ]);
      expect(await a.refreshes.findById(newer.id)).toMatchObject({
        origin: 'on-demand',
        requestCount: 2,
        requestedAt: both[1].requestedAt,
      });
      expect((await a.refreshes.findById(original.id))?.status).toBe('pending');
    });
  });

  describe('reads and retention', () => {
    it('oldestOpenCreatedAt is the creation of the oldest pending or claimed request', async () => {
      expect(await a.refreshes.oldestOpenCreatedAt()).toBeUndefined();
      const [done, claimed, pending] = await a.refreshes.enqueue([
        instanceRequest('i-0abc0001', ago(3_000)),
        instanceRequest('i-0abc0002', ago(2_000)),
        instanceRequest('i-0abc0003', ago(1_000)),
      ]);
      await db.sql(`UPDATE refresh_request SET created_at = now() - interval '1 hour' WHERE id = $1`, [
        done.id,
      ]);
      await db.sql(`UPDATE refresh_request SET created_at = now() - interval '10 minutes' WHERE id = $1`, [
        claimed.id,
      ]);
      await db.sql(`UPDATE refresh_request SET created_at = now() - interval '1 minute' WHERE id = $1`, [
        pending.id,
      ]);
      await db.sql(`UPDATE refresh_request SET status = 'succeeded' WHERE id = $1`, [done.id]);
      await db.sql(`UPDATE refresh_request SET status = 'claimed', claimed_by = 'w' WHERE id = $1`, [
        claimed.id,
      ]);
      const [{ expected }] = await db.sql<{ expected: Date }>(
        'SELECT created_at AS expected FROM refresh_request WHERE id = $1',
        [claimed.id],
      );

      expect(await a.refreshes.oldestOpenCreatedAt()).toEqual(expected);
    });

    it('findById answers null for unknown or malformed ids', async () => {
      expect(await a.refreshes.findById('123456')).toBeNull();
      expect(await a.refreshes.findById('abc')).toBeNull();
      expect(await a.refreshes.findById('1; DROP TABLE refresh_request')).toBeNull();
    });

    it("listOnDemand lists one type's waiting on-demand requests and those processed since a time", async () => {
      const [waiting, claimed, , oldDone, recentDone, recentFailed] = await a.refreshes.enqueue([
        serverGroupRequest('app-main-v001', 'on-demand', ago(1_000)),
        serverGroupRequest('app-main-v002', 'on-demand', ago(2_000), 'staging'),
        serverGroupRequest('app-main-v003', 'event', ago(3_000)),
        serverGroupRequest('app-main-v004', 'on-demand', ago(4_000), 'prod', 'us-west-2'),
        serverGroupRequest('app-main-v005', 'on-demand', ago(5_000), 'prod', 'eu-west-1'),
        serverGroupRequest('app-main-v006', 'on-demand', ago(6_000), 'prod', 'ap-south-1'),
        instanceRequest('i-0abc0001', ago(7_000), 'prod', 'us-east-1', 'on-demand'),
      ]);
      // Claimed by a worker (set directly: claimBatch would take one account/region group at a time).
      await db.sql(
        `UPDATE refresh_request SET status = 'claimed', claimed_by = 'w' WHERE id = ANY($1::bigint[])`,
        [[claimed.id, oldDone.id, recentDone.id, recentFailed.id]],
      );
      await a.refreshes.complete('w', [oldDone.id, recentDone.id], new Date());
      await a.refreshes.fail('w', [{ id: recentFailed.id, error: 'gone' }], { maxAttempts: 0, backoffMs: 1 });
      await db.sql(`UPDATE refresh_request SET processed_at = now() - interval '1 hour' WHERE id = $1`, [
        oldDone.id,
      ]);

      const listed = await a.refreshes.listOnDemand({ type: 'serverGroups', processedSince: ago(600_000) });
      expect(listed.map((r) => [r.id, r.status])).toEqual([
        [waiting.id, 'pending'],
        [claimed.id, 'claimed'],
        [recentDone.id, 'succeeded'],
        [recentFailed.id, 'failed'],
      ]);
      expect(listed[2].processedAt).toBeInstanceOf(Date);

      const one = await a.refreshes.listOnDemand({
        type: 'serverGroups',
        key: 'aws:serverGroups:app-main:prod:eu-west-1:app-main-v005',
        processedSince: ago(600_000),
      });
      expect(idsOf(one)).toEqual([recentDone.id]);
    });

    it('purgeFinished deletes finished requests older than the cutoff and keeps the rest', async () => {
      const out = await a.refreshes.enqueue(
        ['i-0p000001', 'i-0p000002', 'i-0p000003', 'i-0p000004', 'i-0p000005'].map((id) =>
          instanceRequest(id, ago(10_000)),
        ),
      );
      const [oldSucceeded, oldFailed, recentSucceeded, stillPending, stillClaimed] = out.map((o) => o.id);
      await db.sql(`UPDATE refresh_request SET status = 'claimed', claimed_by = 'w' WHERE id <> $1`, [
        stillPending,
      ]);
      await a.refreshes.complete('w', [oldSucceeded, recentSucceeded], new Date());
      await a.refreshes.fail('w', [{ id: oldFailed, error: 'gone' }], { maxAttempts: 0, backoffMs: 1 });
      await db.sql(
        `UPDATE refresh_request SET processed_at = now() - interval '2 days', created_at = now() - interval '2 days'`,
      );
      await db.sql(`UPDATE refresh_request SET processed_at = now() WHERE id = $1`, [recentSucceeded]);

      const cutoff = ago(86_400_000);
      expect(await a.refreshes.purgeFinished(cutoff, 1)).toBe(1);
      expect(await a.refreshes.purgeFinished(cutoff)).toBe(1);
      expect(await a.refreshes.purgeFinished(cutoff)).toBe(0);
      const left = (await db.sql<{ id: string }>('SELECT id::text FROM refresh_request ORDER BY id')).map(
        (r) => r.id,
      );
      expect(left).toEqual([recentSucceeded, stillPending, stillClaimed]);
    });
  });
});
