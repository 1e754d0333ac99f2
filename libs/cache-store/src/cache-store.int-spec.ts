import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import { openCacheStore, type CacheStore, type StoreRepositories } from './cache-store';
import type { RefreshEnqueue } from './repositories/refresh-request.repository';

const INBOX = 'event_cache_inbox';
const REFRESH = 'event_cache_refresh';

const event = (id: string) => ({
  eventId: id,
  channel: 'sqs' as const,
  source: 'aws.ec2',
  detailType: 'EC2 Instance State-change Notification',
  account: '123456789012',
  region: 'us-east-1',
  receivedAt: new Date(),
  payload: { id, detail: { 'instance-id': 'i-0abc0001', state: 'stopped' } },
});
const refresh = (id: string): RefreshEnqueue => ({
  type: 'instances',
  key: `aws:instances:prod:us-east-1:${id}`,
  account: 'prod',
  region: 'us-east-1',
  origin: 'event',
  requestedAt: new Date(),
});

/** Collects notifications; `next(channel)` resolves on the first one not yet taken. */
function recorder() {
  const received: string[] = [];
  const waiting: { channel: string; resolve: () => void }[] = [];
  return {
    received,
    onNotify: (channel: string) => {
      received.push(channel);
      for (const w of waiting.filter((x) => x.channel === channel)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve();
      }
    },
    next: (channel: string) =>
      withTimeout(
        new Promise<void>((resolve) => waiting.push({ channel, resolve })),
        5_000,
        `no notification on ${channel}`,
      ),
  };
}

async function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('CacheStore', () => {
  let db: TestDatabase;
  let store: CacheStore;
  let other: CacheStore;
  let closeAll: () => Promise<void>;

  beforeAll(async () => {
    db = await createTestDatabase();
    const first = await openCacheStore(db.url, { poolSize: 4 });
    const second = await openCacheStore(db.url, { poolSize: 4 });
    store = first.store;
    other = second.store;
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
    await db.sql(
      'TRUNCATE event_inbox, refresh_request, cached_resource, cached_relationship, agent_schedule, agent_lease, pipeline_health',
    );
  });

  const counts = async () =>
    (
      await db.sql<Record<string, string>>(
        `SELECT (SELECT count(*) FROM event_inbox) AS inbox, (SELECT count(*) FROM refresh_request) AS refreshes,
                (SELECT count(*) FROM cached_resource) AS resources, (SELECT count(*) FROM cached_relationship) AS relationships,
                (SELECT count(*) FROM agent_schedule) AS schedules, (SELECT count(*) FROM pipeline_health) AS health`,
      )
    )[0];

  const writeEverything = async (tx: StoreRepositories) => {
    await tx.inbox.accept([event('e-0001')]);
    await tx.refreshes.enqueue([refresh('i-0abc0001')]);
    await tx.resources.write(
      [
        {
          key: 'aws:serverGroups:app-main:prod:us-east-1:app-main-v001',
          type: 'serverGroups',
          account: 'prod',
          region: 'us-east-1',
          application: 'app',
          attributes: { autoScalingGroupName: 'app-main-v001' },
          relationships: { instances: ['aws:instances:prod:us-east-1:i-0abc0001'] },
        },
      ],
      { fetchedAt: new Date() },
    );
    await tx.schedules.register([
      {
        agentId: 'prod/us-east-1/InstanceCachingAgent',
        kind: 'InstanceCachingAgent',
        account: 'prod',
        region: 'us-east-1',
        baseIntervalMs: 30_000,
        firstRunAt: new Date(),
      },
    ]);
    await tx.pipelineHealth.record([
      { account: 'prod', region: 'us-east-1', at: new Date(), healthyUntil: new Date(Date.now() + 300_000) },
    ]);
    await tx.inbox.complete([
      { eventId: 'e-0001', outcome: 'refreshed', refreshKeys: [refresh('i-0abc0001').key] },
    ]);
  };

  describe('transaction', () => {
    it('commits the writes of several repositories together, invisible to others until then', async () => {
      let seenFromOutside: Record<string, string> | undefined;
      const result = await store.transaction(async (tx) => {
        await writeEverything(tx);
        seenFromOutside = await counts();
        return 'done';
      });

      expect(result).toBe('done');
      expect(seenFromOutside).toEqual({
        inbox: '0',
        refreshes: '0',
        resources: '0',
        relationships: '0',
        schedules: '0',
        health: '0',
      });
      expect(await counts()).toEqual({
        inbox: '1',
        refreshes: '1',
        resources: '1',
        relationships: '1',
        schedules: '1',
        health: '1',
      });
      expect((await other.inbox.findById('e-0001'))?.outcome).toBe('refreshed');
    });

    it('rolls back the writes of every repository when the work throws', async () => {
      await expect(
        store.transaction(async (tx) => {
          await writeEverything(tx);
          throw new Error('decision failed');
        }),
      ).rejects.toThrow('decision failed');

      expect(await counts()).toEqual({
        inbox: '0',
        refreshes: '0',
        resources: '0',
        relationships: '0',
        schedules: '0',
        health: '0',
      });
      // The same event can be accepted afresh: nothing of the failed attempt is left.
      expect(await store.inbox.accept([event('e-0001')])).toEqual({ accepted: ['e-0001'], duplicates: [] });
    });
  });

  describe('listen', () => {
    it('wakes a listener on another replica after inbox.accept and refreshes.enqueue', async () => {
      const rec = recorder();
      const stop = await store.listen([INBOX, REFRESH], rec.onNotify);
      try {
        const inboxWoken = rec.next(INBOX);
        await other.inbox.accept([event('e-0001'), event('e-0002')]);
        await inboxWoken;

        const refreshWoken = rec.next(REFRESH);
        await other.refreshes.enqueue([refresh('i-0abc0001')]);
        await refreshWoken;
        expect(rec.received).toEqual([INBOX, REFRESH]);
      } finally {
        await stop();
      }
    });

    it('stays silent for a rolled-back transaction and after it stopped listening', async () => {
      const rec = recorder();
      const stop = await store.listen([INBOX, REFRESH], rec.onNotify);
      await expect(
        other.transaction(async (tx) => {
          await tx.inbox.accept([event('e-0001')]);
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      // Notifications arrive in commit order: once this one is in, the rolled-back one never will be.
      const barrier = rec.next(REFRESH);
      await other.refreshes.enqueue([refresh('i-0abc0001')]);
      await barrier;
      expect(rec.received).toEqual([REFRESH]);

      await stop();
      const later = recorder();
      const stopLater = await store.listen([INBOX], later.onNotify);
      try {
        const woken = later.next(INBOX);
        await other.inbox.accept([event('e-0002')]);
        await woken;
        expect(rec.received).toEqual([REFRESH]);
      } finally {
        await stopLater();
      }
    });

    it('refuses an invalid channel name without losing a pooled connection', async () => {
      const small = await openCacheStore(db.url, { poolSize: 1 });
      try {
        await expect(
          small.store.listen([INBOX, 'inbox"; DROP TABLE event_inbox; --'], () => undefined),
        ).rejects.toThrow('invalid channel name');
        // The single pooled connection must still be usable.
        expect(await withTimeout(small.store.inbox.countPending(), 3_000, 'pool exhausted')).toBe(0);
      } finally {
        await small.close();
      }
    });
  });
});
