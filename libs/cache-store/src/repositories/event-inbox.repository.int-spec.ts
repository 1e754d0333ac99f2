import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import { openCacheStore, type CacheStore } from '../cache-store';
import { decodeInboxCursor, type InboxEvent } from './event-inbox.repository';

const T0 = new Date('2025-11-20T10:00:00.000Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);

/** An EventBridge EC2 state-change event as it came off the SQS queue. */
function stateChange(id: string, receivedAt: Date, instanceId = 'i-0abc0001'): InboxEvent {
  return {
    eventId: id,
    channel: 'sqs',
    source: 'aws.ec2',
    detailType: 'EC2 Instance State-change Notification',
    account: '123456789012',
    region: 'us-east-1',
    receivedAt,
    payload: {
      version: '0',
      id,
      'detail-type': 'EC2 Instance State-change Notification',
      source: 'aws.ec2',
      account: '123456789012',
      time: receivedAt.toISOString(),
      region: 'us-east-1',
      resources: [`arn:aws:ec2:us-east-1:123456789012:instance/${instanceId}`],
      detail: { 'instance-id': instanceId, state: 'stopped' },
    },
  };
}

const uuid = (n: number) => `7bf73129-1428-4cd3-a780-95db273d${String(n).padStart(4, '0')}`;

describe('EventInboxRepository', () => {
  let db: TestDatabase;
  let a: CacheStore;
  let b: CacheStore;
  let closeAll: () => Promise<void>;

  beforeAll(async () => {
    db = await createTestDatabase();
    const first = await openCacheStore(db.url, { poolSize: 4 });
    const second = await openCacheStore(db.url, { poolSize: 4 });
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
    await db.sql('TRUNCATE event_inbox');
  });

  describe('accept', () => {
    it('inserts new events, tells duplicates apart and counts every copy', async () => {
      const first = await a.inbox.accept([stateChange(uuid(1), at(0)), stateChange(uuid(2), at(1))]);
      expect(first).toEqual({ accepted: [uuid(1), uuid(2)], duplicates: [] });

      const second = await a.inbox.accept([stateChange(uuid(2), at(5)), stateChange(uuid(3), at(5))]);
      expect(second).toEqual({ accepted: [uuid(3)], duplicates: [uuid(2)] });

      // SQS redelivers a message twice in the same batch.
      const third = await a.inbox.accept([
        stateChange(uuid(4), at(6)),
        stateChange(uuid(4), at(6)),
        stateChange(uuid(2), at(6)),
      ]);
      expect(third).toEqual({ accepted: [uuid(4)], duplicates: [uuid(4), uuid(2)] });

      const counts = Object.fromEntries(
        await Promise.all(
          [1, 2, 3, 4].map(async (n) => [n, (await a.inbox.findById(uuid(n)))?.duplicateCount]),
        ),
      );
      expect(counts).toEqual({ 1: 0, 2: 2, 3: 0, 4: 1 });
      // The first copy is what is kept.
      expect((await a.inbox.findById(uuid(2)))?.receivedAt).toEqual(at(1));
      expect(await a.inbox.countPending()).toBe(4);
      expect(await a.inbox.accept([])).toEqual({ accepted: [], duplicates: [] });
    });

    it('accepts each event exactly once when two replicas receive the same burst', async () => {
      const burst = Array.from({ length: 300 }, (_, i) => stateChange(uuid(i), at(i)));
      const [fromA, fromB] = await Promise.all([a.inbox.accept(burst), b.inbox.accept([...burst].reverse())]);

      const accepted = [...fromA.accepted, ...fromB.accepted];
      expect(new Set(accepted).size).toBe(300);
      expect(accepted).toHaveLength(300);
      expect(fromA.duplicates.length + fromB.duplicates.length).toBe(300);
      expect(await a.inbox.countPending()).toBe(300);
    });

    it('stores events rejected at the door as processed, with outcome and reason, never claimable', async () => {
      await a.inbox.accept([
        {
          ...stateChange(uuid(1), at(0)),
          account: '999999999999',
          outcome: 'rejected',
          reason: 'unknown_account',
        },
        {
          eventId: 'sns-0f1e2d3c',
          channel: 'sns',
          receivedAt: at(1),
          outcome: 'rejected',
          reason: 'invalid_signature',
        },
      ]);

      const entry = await a.inbox.findById(uuid(1));
      expect(entry).toMatchObject({
        id: uuid(1),
        channel: 'sqs',
        source: 'aws.ec2',
        detailType: 'EC2 Instance State-change Notification',
        account: '999999999999',
        region: 'us-east-1',
        outcome: 'rejected',
        reason: 'unknown_account',
        refreshKeys: [],
        duplicateCount: 0,
        receivedAt: at(0),
      });
      expect(entry?.processedAt).toBeInstanceOf(Date);
      expect(await a.inbox.findById('sns-0f1e2d3c')).toMatchObject({
        channel: 'sns',
        source: null,
        reason: 'invalid_signature',
      });
      expect(await a.inbox.claimPending({ worker: 'scheduler-a', limit: 10, claimTtlMs: 60_000 })).toEqual(
        [],
      );
      expect(await a.inbox.countPending()).toBe(0);
    });
  });

  describe('claimPending and complete', () => {
    it('claims pending events oldest first with their payload, not again until the claim expires', async () => {
      await a.inbox.accept([
        stateChange(uuid(3), at(30)),
        stateChange(uuid(1), at(10)),
        stateChange(uuid(2), at(20)),
      ]);

      const first = await a.inbox.claimPending({ worker: 'scheduler-a', limit: 2, claimTtlMs: 60_000 });
      expect(first.map((e) => e.eventId)).toEqual([uuid(1), uuid(2)]);
      expect(first[0]).toEqual({
        eventId: uuid(1),
        channel: 'sqs',
        receivedAt: at(10),
        payload: stateChange(uuid(1), at(10)).payload,
      });
      expect(
        (await b.inbox.claimPending({ worker: 'scheduler-b', limit: 10, claimTtlMs: 60_000 })).map(
          (e) => e.eventId,
        ),
      ).toEqual([uuid(3)]);
      expect(await b.inbox.claimPending({ worker: 'scheduler-b', limit: 10, claimTtlMs: 60_000 })).toEqual(
        [],
      );

      await db.sql(
        `UPDATE event_inbox SET claim_expires_at = now() - interval '1 second' WHERE event_id = $1`,
        [uuid(2)],
      ); // scheduler-a died before finishing uuid(2)
      expect(
        (await b.inbox.claimPending({ worker: 'scheduler-b', limit: 10, claimTtlMs: 60_000 })).map(
          (e) => e.eventId,
        ),
      ).toEqual([uuid(2)]);
    });

    it("claims a worker's own claims again when it asks to (a claim whose answer it never got)", async () => {
      await a.inbox.accept([stateChange(uuid(1), at(10)), stateChange(uuid(2), at(20))]);
      await a.inbox.claimPending({ worker: 'scheduler-a', limit: 1, claimTtlMs: 60_000 }); // answer lost
      expect(await b.inbox.claimPending({ worker: 'scheduler-b', limit: 10, claimTtlMs: 60_000 })).toEqual([
        expect.objectContaining({ eventId: uuid(2) }),
      ]);
      const again = await a.inbox.claimPending({
        worker: 'scheduler-a',
        limit: 10,
        claimTtlMs: 60_000,
        reclaimOwn: true,
      });
      expect(again.map((e) => e.eventId)).toEqual([uuid(1)]); // not scheduler-b's
    });

    it('never gives the same event to two schedulers claiming at once', async () => {
      await a.inbox.accept(Array.from({ length: 240 }, (_, i) => stateChange(uuid(i), at(i))));
      const drain = async (store: CacheStore, worker: string) => {
        const mine: string[] = [];
        for (let call = 1; ; call += 1) {
          if (call > 100) throw new Error('still handing out work after 100 calls');
          const got = await store.inbox.claimPending({ worker, limit: 9, claimTtlMs: 60_000 });
          if (got.length === 0) return mine;
          mine.push(...got.map((e) => e.eventId));
        }
      };
      const [fromA, fromB] = await Promise.all([drain(a, 'scheduler-a'), drain(b, 'scheduler-b')]);
      const all = [...fromA, ...fromB];
      expect(new Set(all).size).toBe(all.length);
      expect(all).toHaveLength(240);
    });

    it('records outcomes once, with reason and the refresh keys the event caused', async () => {
      await a.inbox.accept([stateChange(uuid(1), at(0)), stateChange(uuid(2), at(1))]);
      await a.inbox.claimPending({ worker: 'scheduler-a', limit: 10, claimTtlMs: 60_000 });
      const keys = [
        'aws:instances:prod:us-east-1:i-0abc0001',
        'aws:serverGroups:app-main:prod:us-east-1:app-main-v001',
      ];

      const done = await a.inbox.complete([
        { eventId: uuid(1), outcome: 'refreshed', refreshKeys: keys },
        { eventId: uuid(2), outcome: 'ignored', reason: 'unsupported_event' },
        { eventId: 'never-seen', outcome: 'ignored' },
      ]);
      expect(done.sort()).toEqual([uuid(1), uuid(2)]);

      const refreshed = await a.inbox.findById(uuid(1));
      expect(refreshed).toMatchObject({ outcome: 'refreshed', reason: null, refreshKeys: keys });
      expect(refreshed?.processedAt).toBeInstanceOf(Date);
      expect(await a.inbox.findById(uuid(2))).toMatchObject({
        outcome: 'ignored',
        reason: 'unsupported_event',
      });
      expect(await db.sql('SELECT claimed_by FROM event_inbox WHERE claimed_by IS NOT NULL')).toEqual([]);

      // A second (late) outcome for the same event changes nothing.
      expect(await a.inbox.complete([{ eventId: uuid(1), outcome: 'ignored', reason: 'late' }])).toEqual([]);
      expect((await a.inbox.findById(uuid(1)))?.outcome).toBe('refreshed');
      expect(await a.inbox.countPending()).toBe(0);
      expect(await a.inbox.complete([])).toEqual([]);
    });
  });

  describe('reads and retention', () => {
    beforeEach(async () => {
      await a.inbox.accept([
        stateChange(uuid(1), at(10)),
        stateChange(uuid(2), at(20)),
        stateChange(uuid(3), at(20)),
        { ...stateChange(uuid(4), at(30)), outcome: 'rejected', reason: 'schema_violation' },
        { ...stateChange(uuid(5), at(40)), outcome: 'ignored', reason: 'unsupported_event' },
      ]);
      await a.inbox.complete([
        { eventId: uuid(1), outcome: 'refreshed', refreshKeys: ['aws:instances:prod:us-east-1:i-0abc0001'] },
      ]);
    });

    it('lists the audit trail newest first, filtered by outcome, reason and time', async () => {
      const ids = async (options: Parameters<CacheStore['inbox']['list']>[0]) =>
        (await a.inbox.list(options)).entries.map((e) => e.id);

      expect(await ids({ limit: 10 })).toEqual([uuid(5), uuid(4), uuid(2), uuid(3), uuid(1)]);
      expect(await ids({ limit: 2 })).toEqual([uuid(5), uuid(4)]);
      expect(await ids({ limit: 10, outcome: 'pending' })).toEqual([uuid(2), uuid(3)]);
      expect(await ids({ limit: 10, outcome: 'rejected', reason: 'schema_violation' })).toEqual([uuid(4)]);
      expect(await ids({ limit: 10, reason: 'unsupported_event' })).toEqual([uuid(5)]);
      expect(await ids({ limit: 10, before: at(30) })).toEqual([uuid(2), uuid(3), uuid(1)]);
      expect(await ids({ limit: 10, outcome: 'duplicate' })).toEqual([]);
      expect(await a.inbox.findById('no-such-event')).toBeNull();
    });

    it('pages with a cursor that neither skips nor repeats events received at the same instant', async () => {
      // One statement: every row gets the same received_at, to the microsecond.
      await a.inbox.accept(Array.from({ length: 7 }, (_, i) => stateChange(uuid(100 + i), at(50))));
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { entries: { id: string }[]; nextCursor: string | null } = await a.inbox.list({
          limit: 3,
          ...(cursor ? { cursor: decodeInboxCursor(cursor)! } : {}),
        });
        seen.push(...page.entries.map((e) => e.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(4); // 12 events, 3 a page, no empty last page
      expect(new Set(seen).size).toBe(12);
      expect(seen.slice(0, 7).sort()).toEqual(Array.from({ length: 7 }, (_, i) => uuid(100 + i)).sort());
      expect(decodeInboxCursor('bm90LWEtY3Vyc29y')).toBeUndefined();
    });

    it('reads back only cursors naming a real time PostgreSQL can hold and a storable event id', () => {
      const cursor = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
      expect(decodeInboxCursor(cursor('2024-02-29 23:59:59.123456+00\ne1'))).toEqual({
        receivedAt: '2024-02-29 23:59:59.123456+00',
        eventId: 'e1',
      });
      expect(decodeInboxCursor(cursor('2024-01-01 00:00:00-03:30\ne1'))).toBeDefined();
      for (const text of [
        '2023-02-29 00:00:00+00\ne1', // no such day
        '2024-13-01 00:00:00+00\ne1',
        '2024-01-01 24:00:00+00\ne1',
        '2024-01-01 00:00:00+16\ne1', // beyond PostgreSQL's time zone displacement
        '2024-01-01 00:00:00+00\ne\u0000',
        '2024-01-01 00:00:00+00\n',
      ]) {
        expect({ text, decoded: decodeInboxCursor(cursor(text)) }).toEqual({ text, decoded: undefined });
      }
      // Not canonical base64url: padding, or another alphabet.
      expect(decodeInboxCursor(`${cursor('2024-01-01 00:00:00+00\ne1')}=`)).toBeUndefined();
    });

    it('purges processed events received before the cutoff, never pending ones', async () => {
      expect(await a.inbox.purge(at(35), 1)).toBe(1);
      expect(await a.inbox.purge(at(35))).toBe(1);
      expect(await a.inbox.purge(at(35))).toBe(0);
      const left = (
        await db.sql<{ event_id: string }>('SELECT event_id FROM event_inbox ORDER BY event_id')
      ).map((r) => r.event_id);
      expect(left).toEqual([uuid(2), uuid(3), uuid(5)]);
      expect(await a.inbox.purge(at(3_600))).toBe(1);
      expect(await a.inbox.countPending()).toBe(2);
    });
  });
});
