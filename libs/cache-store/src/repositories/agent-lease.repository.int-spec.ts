import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import { openCacheStore, type CacheStore } from '../cache-store';
import type { Lease } from './agent-lease.repository';
import type { AgentRegistration } from './agent-schedule.repository';

const KINDS = [
  'InstanceCachingAgent',
  'ClusterCachingAgent',
  'LoadBalancerCachingAgent',
  'LaunchTemplateCachingAgent',
];
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'];

/**
 * `n` agents with Clouddriver-style ids (`<account>/<region>/<Kind>`, spilling over to accounts
 * `<account>-1`, `<account>-2` ...), due `dueAgoMs` ago, one ms apart in the order given.
 */
function agents(n: number, account = 'prod', dueAgoMs = 60_000): AgentRegistration[] {
  const now = Date.now();
  const perAccount = REGIONS.length * KINDS.length;
  return Array.from({ length: n }, (_, i) => {
    const acct = i < perAccount ? account : `${account}-${Math.floor(i / perAccount)}`;
    const region = REGIONS[i % REGIONS.length];
    const kind = KINDS[Math.floor(i / REGIONS.length) % KINDS.length];
    return {
      agentId: `${acct}/${region}/${kind}`,
      kind,
      account: acct,
      region,
      baseIntervalMs: 30_000,
      firstRunAt: new Date(now - dueAgoMs + i),
    };
  });
}

const ids = (leases: Lease[]) => leases.map((l) => l.agentId);
/** A lease as held() reports it (dueAt is only known to acquireDue). */
const asHeld = (lease: Lease): Lease => ({ ...lease, dueAt: null });

describe('AgentLeaseRepository', () => {
  let db: TestDatabase;
  let a: CacheStore;
  let b: CacheStore;
  let closeAll: () => Promise<void>;

  beforeAll(async () => {
    db = await createTestDatabase();
    // Two replicas: separate pools, as two caching-agents processes would have.
    const first = await openCacheStore(db.url, { poolSize: 4, applicationName: 'replica-a' });
    const second = await openCacheStore(db.url, { poolSize: 4, applicationName: 'replica-b' });
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
    await db.sql('TRUNCATE agent_lease, agent_schedule');
  });

  const expireLease = (agentId: string) =>
    db.sql(`UPDATE agent_lease SET expires_at = now() - interval '1 second' WHERE agent_id = $1`, [agentId]);
  const scheduleOf = async (agentId: string) => (await a.schedules.list({ agentIdGlob: agentId }))[0];

  describe('acquireDue', () => {
    it('leases due, unpaused, unheld agents, oldest due first, up to the limit', async () => {
      const due = agents(5);
      await a.schedules.register([
        ...due,
        { ...agents(1, 'staging')[0], firstRunAt: new Date(Date.now() + 3_600_000) }, // not due yet
      ]);
      await a.schedules.setPaused({ agentIdGlob: due[1].agentId }, true);
      const [heldElsewhere] = await b.leases.acquireDue({ owner: 'replica-b', ttlMs: 60_000, limit: 1 });
      expect(heldElsewhere.agentId).toBe(due[0].agentId);

      const before = Date.now();
      const got = await a.leases.acquireDue({ owner: 'replica-a', ttlMs: 60_000, limit: 2 });

      expect(ids(got)).toEqual([due[2].agentId, due[3].agentId]);
      expect(got.map((l) => l.dueAt)).toEqual([due[2].firstRunAt, due[3].firstRunAt]);
      for (const lease of got) {
        expect(lease.owner).toBe('replica-a');
        expect(lease.token).toMatch(/^\d+$/);
        expect(lease.expiresAt.getTime()).toBeGreaterThan(before + 55_000);
        expect(lease.expiresAt.getTime()).toBeLessThan(Date.now() + 65_000);
      }
      expect(ids(await a.leases.acquireDue({ owner: 'replica-a', ttlMs: 60_000, limit: 10 }))).toEqual([
        due[4].agentId,
      ]);
      expect(await a.leases.acquireDue({ owner: 'replica-a', ttlMs: 60_000, limit: 10 })).toEqual([]);
      expect(new Set([...(await a.leases.held()).values()].map((l) => l.token)).size).toBe(4);
    });

    it('only considers the agents this replica runs when agentIds is given', async () => {
      const due = agents(4);
      await a.schedules.register(due);
      const got = await a.leases.acquireDue({
        owner: 'replica-a',
        ttlMs: 60_000,
        limit: 10,
        agentIds: [due[3].agentId, due[1].agentId, 'prod/ap-south-1/UnknownAgent'],
      });
      expect(ids(got)).toEqual([due[1].agentId, due[3].agentId]);
    });

    it('gives every agent to exactly one of two replicas racing for them, round after round', async () => {
      const all = agents(240);
      await a.schedules.register(all);
      const drain = async (store: CacheStore, owner: string) => {
        const mine: Lease[] = [];
        for (let call = 1; ; call += 1) {
          if (call > 100) throw new Error('still handing out work after 100 calls');
          const got = await store.leases.acquireDue({ owner, ttlMs: 60_000, limit: 17 });
          if (got.length === 0) return mine;
          mine.push(...got);
        }
      };

      for (let round = 0; round < 6; round += 1) {
        const [fromA, fromB] = await Promise.all([drain(a, 'replica-a'), drain(b, 'replica-b')]);
        const leased = [...ids(fromA), ...ids(fromB)];
        expect(new Set(leased).size).toBe(leased.length); // nobody leased twice
        expect([...leased].sort()).toEqual(all.map((x) => x.agentId).sort()); // nobody left out
        const held = await a.leases.held();
        for (const lease of [...fromA, ...fromB]) expect(held.get(lease.agentId)?.owner).toBe(lease.owner);

        // Both finish their runs; every agent is due again for the next round.
        const due = new Date(Date.now() - 1_000);
        const [relA, relB] = await Promise.all([
          a.leases.release(
            'replica-a',
            fromA.map((l) => ({ ...l, nextRunAt: due })),
          ),
          b.leases.release(
            'replica-b',
            fromB.map((l) => ({ ...l, nextRunAt: due })),
          ),
        ]);
        expect(relA.lost).toEqual([]);
        expect(relB.lost).toEqual([]);
      }
    });

    it('takes over an expired lease with a new token', async () => {
      const [agent] = agents(1);
      await a.schedules.register([agent]);
      const [old] = await a.leases.acquireDue({ owner: 'replica-a', ttlMs: 60_000, limit: 1 });
      expect(await b.leases.acquireDue({ owner: 'replica-b', ttlMs: 60_000, limit: 1 })).toEqual([]);

      await expireLease(agent.agentId); // replica-a crashed mid-run
      const [taken] = await b.leases.acquireDue({ owner: 'replica-b', ttlMs: 60_000, limit: 1 });

      expect(taken).toMatchObject({ agentId: agent.agentId, owner: 'replica-b' });
      expect(taken.token).not.toBe(old.token);
      expect((await a.leases.held()).get(agent.agentId)?.owner).toBe('replica-b');
    });
  });

  describe('acquire', () => {
    it('leases exactly the named agents where free or expired, whether due or not', async () => {
      const [x, y, z] = agents(3, 'prod', -3_600_000); // due in an hour
      await a.schedules.register([x, y, z]);
      await b.leases.acquire({ owner: 'replica-b', ttlMs: 60_000, agentIds: [y.agentId] });

      const got = await a.leases.acquire({
        owner: 'replica-a',
        ttlMs: 60_000,
        agentIds: [x.agentId, y.agentId, x.agentId],
      });
      expect(ids(got)).toEqual([x.agentId]);
      expect(got[0].token).toMatch(/^\d+$/);

      await expireLease(y.agentId);
      const [takeover] = await a.leases.acquire({ owner: 'replica-a', ttlMs: 60_000, agentIds: [y.agentId] });
      expect(takeover.owner).toBe('replica-a');
    });

    it('lets exactly one of two replicas win the same lease', async () => {
      const [agent] = agents(1);
      await a.schedules.register([agent]);
      for (let round = 0; round < 25; round += 1) {
        const [fromA, fromB] = await Promise.all([
          a.leases.acquire({ owner: 'replica-a', ttlMs: 60_000, agentIds: [agent.agentId] }),
          b.leases.acquire({ owner: 'replica-b', ttlMs: 60_000, agentIds: [agent.agentId] }),
        ]);
        const winners = [...fromA, ...fromB];
        expect(winners).toHaveLength(1);
        expect((await a.leases.held()).get(agent.agentId)?.token).toBe(winners[0].token);
        await (fromA.length ? a : b).leases.releaseAll(winners[0].owner);
      }
    });
  });

  describe('extend', () => {
    it('pushes expiry forward for the owner and reports leases lost to anyone else', async () => {
      const [x, y] = agents(2);
      await a.schedules.register([x, y]);
      const mine = await a.leases.acquireDue({ owner: 'replica-a', ttlMs: 5_000, limit: 2 });

      const extended = await a.leases.extend('replica-a', mine, 120_000);
      expect(extended.ok.sort()).toEqual([x.agentId, y.agentId]);
      expect(extended.lost).toEqual([]);
      expect(extended.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 100_000);
      expect((await a.leases.held()).get(x.agentId)?.expiresAt).toEqual(extended.expiresAt);

      // A non-owner with the right token changes nothing.
      const before = (await a.leases.held()).get(x.agentId);
      const stranger = await b.leases.extend('replica-b', [mine[0]], 600_000);
      expect(stranger).toEqual({ ok: [], lost: [mine[0].agentId], expiresAt: null });
      expect((await a.leases.held()).get(x.agentId)).toEqual(before);
    });

    it('reports a lease lost after it expired and was taken over, even by the same owner name', async () => {
      const [x] = agents(1);
      await a.schedules.register([x]);
      const [old] = await a.leases.acquireDue({ owner: 'replica-a', ttlMs: 60_000, limit: 1 });
      await expireLease(x.agentId);
      const [fresh] = await a.leases.acquireDue({ owner: 'replica-a', ttlMs: 60_000, limit: 1 });

      const stale = await a.leases.extend('replica-a', [old], 600_000);
      expect(stale.lost).toEqual([x.agentId]);
      expect((await a.leases.held()).get(x.agentId)?.expiresAt).toEqual(fresh.expiresAt);
    });
  });

  describe('release', () => {
    it('drops the lease and records the next run and how the run went, accumulating totals', async () => {
      const [x] = agents(1);
      await a.schedules.register([x]);
      const [first] = await a.leases.acquireDue({ owner: 'replica-a', ttlMs: 60_000, limit: 1 });
      const startedAt = new Date(Date.now() - 2_000);
      const nextRunAt = new Date(Date.now() - 10); // due again at once

      const released = await a.leases.release('replica-a', [
        {
          ...first,
          nextRunAt,
          run: { startedAt, durationMs: 1234.4, additions: 7, evictions: 2, error: null },
        },
      ]);
      expect(released).toEqual({ ok: [x.agentId], lost: [] });
      expect((await a.leases.held()).size).toBe(0);
      expect(await scheduleOf(x.agentId)).toMatchObject({
        nextRunAt,
        lastRun: { startedAt, durationMs: 1234, additions: 7, evictions: 2, error: null },
        totalAdditions: 7,
        totalEvictions: 2,
      });

      const [second] = await a.leases.acquireDue({ owner: 'replica-a', ttlMs: 60_000, limit: 1 });
      const secondStart = new Date(Date.now() - 500);
      const later = new Date(Date.now() + 30_000);
      await a.leases.release('replica-a', [
        {
          ...second,
          nextRunAt: later,
          run: {
            startedAt: secondStart,
            durationMs: 480,
            additions: 3,
            evictions: 0,
            error: 'Rate exceeded',
          },
        },
      ]);
      expect(await scheduleOf(x.agentId)).toMatchObject({
        nextRunAt: later,
        lastRun: {
          startedAt: secondStart,
          durationMs: 480,
          additions: 3,
          evictions: 0,
          error: 'Rate exceeded',
        },
        totalAdditions: 10,
        totalEvictions: 2,
      });
      expect(await a.leases.acquireDue({ owner: 'replica-a', ttlMs: 60_000, limit: 1 })).toEqual([]);
    });

    it('keeps the last run stats when released without a run', async () => {
      const [x] = agents(1);
      await a.schedules.register([x]);
      const [first] = await a.leases.acquireDue({ owner: 'replica-a', ttlMs: 60_000, limit: 1 });
      const startedAt = new Date(Date.now() - 1_000);
      await a.leases.release('replica-a', [
        {
          ...first,
          nextRunAt: new Date(Date.now() - 10),
          run: { startedAt, durationMs: 10, additions: 1, evictions: 1, error: null },
        },
      ]);
      const [second] = await a.leases.acquireDue({ owner: 'replica-a', ttlMs: 60_000, limit: 1 });
      const nextRunAt = new Date(Date.now() + 5_000);
      await a.leases.release('replica-a', [{ ...second, nextRunAt }]);
      expect(await scheduleOf(x.agentId)).toMatchObject({
        nextRunAt,
        lastRun: { startedAt, durationMs: 10, additions: 1, evictions: 1, error: null },
        totalAdditions: 1,
      });
    });

    it('by a non-owner or with a stale token changes nothing and reports the lease lost', async () => {
      const [x] = agents(1);
      await a.schedules.register([x]);
      const [old] = await a.leases.acquireDue({ owner: 'replica-a', ttlMs: 60_000, limit: 1 });
      await expireLease(x.agentId);
      const [current] = await b.leases.acquireDue({ owner: 'replica-b', ttlMs: 60_000, limit: 1 });
      const scheduleBefore = await scheduleOf(x.agentId);
      const run = { startedAt: new Date(), durationMs: 5, additions: 100, evictions: 100, error: null };
      const nextRunAt = new Date(Date.now() + 3_600_000);

      // The crashed replica comes back with its stale token...
      expect(await a.leases.release('replica-a', [{ ...old, nextRunAt, run }])).toEqual({
        ok: [],
        lost: [x.agentId],
      });
      // ...or presents the current token under its own name.
      expect(await a.leases.release('replica-a', [{ ...current, nextRunAt, run }])).toEqual({
        ok: [],
        lost: [x.agentId],
      });
      // The owner with an old token is refused too.
      expect(await b.leases.release('replica-b', [{ ...old, nextRunAt, run }])).toEqual({
        ok: [],
        lost: [x.agentId],
      });

      expect((await a.leases.held()).get(x.agentId)).toEqual(asHeld(current));
      expect(await scheduleOf(x.agentId)).toEqual(scheduleBefore);
      expect(await a.leases.release('replica-a', [])).toEqual({ ok: [], lost: [] });
    });
  });

  describe('acquire and release racing on always-due agents', () => {
    it('never deadlocks and never runs an agent twice at once', async () => {
      await a.schedules.register(agents(40, 'prod', 0));
      const running = new Set<string>();
      const overlaps: string[] = [];
      const errors: unknown[] = [];
      const scheduler = (store: CacheStore, owner: string) => async () => {
        for (let round = 0; round < 40; round++) {
          try {
            const leases = await store.leases.acquireDue({ owner, ttlMs: 10_000, limit: 15 });
            for (const l of leases) {
              if (running.has(l.agentId)) overlaps.push(l.agentId);
              running.add(l.agentId);
            }
            await new Promise((r) => setImmediate(r));
            for (const l of leases) running.delete(l.agentId);
            // Due again at once: every release races the other schedulers' acquisitions.
            const out = await store.leases.release(
              owner,
              leases.map((l) => ({
                agentId: l.agentId,
                token: l.token,
                nextRunAt: new Date(Date.now() - 1),
              })),
            );
            if (out.lost.length) errors.push(new Error(`lost ${out.lost.join(',')}`));
          } catch (e) {
            errors.push(e);
          }
        }
      };
      await Promise.all([
        scheduler(a, 'a1')(),
        scheduler(a, 'a2')(),
        scheduler(b, 'b1')(),
        scheduler(b, 'b2')(),
      ]);
      expect(errors).toEqual([]);
      expect(overlaps).toEqual([]);
      expect(await db.sql('SELECT agent_id FROM agent_lease')).toEqual([]);
    });
  });

  describe('releaseAll and held', () => {
    it('drops every lease of one owner only, leaving schedules alone; held lists current leases', async () => {
      const all = agents(5);
      await a.schedules.register(all);
      const mine = await a.leases.acquireDue({ owner: 'replica-a', ttlMs: 60_000, limit: 3 });
      const theirs = await b.leases.acquireDue({ owner: 'replica-b', ttlMs: 60_000, limit: 2 });
      await expireLease(theirs[1].agentId);
      const schedulesBefore = await a.schedules.list();

      const held = await a.leases.held();
      expect([...held.keys()].sort()).toEqual([...ids(mine), theirs[0].agentId].sort());
      expect(held.get(theirs[0].agentId)).toEqual(asHeld(theirs[0]));
      const some = await a.leases.held([mine[0].agentId, theirs[1].agentId]);
      expect([...some.keys()]).toEqual([mine[0].agentId]);

      expect((await a.leases.releaseAll('replica-a')).sort()).toEqual(ids(mine).sort());
      expect([...(await a.leases.held()).keys()]).toEqual([theirs[0].agentId]);
      expect(await a.leases.releaseAll('replica-a')).toEqual([]);
      expect(await a.schedules.list()).toEqual(schedulesBefore);
    });
  });
});
