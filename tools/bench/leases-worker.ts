import 'reflect-metadata';
import { Pool } from 'pg';
import { type Lease, openCacheStore } from '@event-cache/cache-store';

/**
 * One scheduler process of bench:leases. The parent forks four of these; each runs, per phase,
 * either our lease protocol (AgentLeaseRepository) or the Clouddriver-style baseline, and keeps an
 * in-memory record of every run it started ([start, end] on the machine-wide monotonic clock) that
 * it hands back to the parent, which counts double runs from those records alone.
 */

export type Protocol = 'ours' | 'baseline';

export interface WorkerSettings {
  url: string;
  owner: string;
  agents: number;
  /** Most leases asked for per acquisition, and most agents running at once, per process. */
  limit: number;
  ttlMs: number;
  /** Sleep after a poll that drained what was due but still got something. */
  pollMs: number;
  /** Longest sleep when nothing was due (we sleep until the soonest next run, at most this). */
  idleMaxMs: number;
  runMinMs: number;
  runMaxMs: number;
  poolSize: number;
}

export interface PhaseSpec {
  protocol: Protocol;
  /** Next run = due time + interval (or now when that is already past); 0 = due again at once. */
  intervalMs: number;
  /** Epoch ms: start acquiring at t0, stop acquiring at endAt. */
  t0: number;
  endAt: number;
}

/**
 * Layout of PhaseReport.runs: RUN_FIELDS numbers per run. Start and end are on the machine-wide
 * monotonic clock (CLOCK_MONOTONIC through hrtime, µs), so runs of different processes compare
 * exactly; due is epoch ms as the protocol saw it; lag = wall-clock start - due, ms.
 */
export const RUN_FIELDS = 5;
export const RUN = { agent: 0, startUs: 1, endUs: 2, dueAtMs: 3, lagMs: 4 } as const;

export interface PhaseReport {
  owner: string;
  /** RUN_FIELDS numbers per run. */
  runs: Float64Array;
  lost: number;
  /** Baseline only: INSERTs that lost on the unique constraint ("held elsewhere"). */
  conflicts: number;
  /** SQL statements sent during the phase (acquire, release, reads, soonest-due look-ups). */
  statements: number;
  polls: number;
  /** Our statements PostgreSQL aborted as deadlock victims (acquireDue / release); retried. */
  acquireDeadlocks: number;
  releaseDeadlocks: number;
  /** Leases whose release still deadlocked after RELEASE_ATTEMPTS tries (left to expire). */
  unreleased: number;
}

export type ToWorker = { type: 'run'; spec: PhaseSpec } | { type: 'exit' };
export type FromWorker =
  { type: 'ready' } | { type: 'report'; report: PhaseReport } | { type: 'error'; message: string };

const KINDS = [
  'AmazonApplicationLoadBalancerCachingAgent',
  'AmazonCertificateCachingAgent',
  'AmazonCloudFormationCachingAgent',
  'AmazonElasticIpCachingAgent',
  'AmazonInstanceTypeCachingAgent',
  'AmazonKeyPairCachingAgent',
  'AmazonLaunchTemplateCachingAgent',
  'AmazonLoadBalancerCachingAgent',
  'AmazonSecurityGroupCachingAgent',
  'AmazonSubnetCachingAgent',
  'AmazonVpcCachingAgent',
  'ClusterCachingAgent',
  'ImageCachingAgent',
  'InstanceCachingAgent',
  'LaunchConfigCachingAgent',
  'ReservedInstancesCachingAgent',
  'EcsClusterCachingAgent',
  'EcsServiceCachingAgent',
  'EcsTaskCachingAgent',
  'ScalingPolicyCachingAgent',
];
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-2'];

/** Agent i in Clouddriver's id format `<account>/<region>/<AgentKind>`. */
export function agentScope(i: number): { agentId: string; account: string; region: string; kind: string } {
  const kind = KINDS[i % KINDS.length];
  const region = REGIONS[Math.floor(i / KINDS.length) % REGIONS.length];
  const account = `account-${String(Math.floor(i / (KINDS.length * REGIONS.length))).padStart(3, '0')}`;
  return { agentId: `${account}/${region}/${kind}`, account, region, kind };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
const wallMs = () => performance.timeOrigin + performance.now();

/** Counts agents running in this process; lets the loop wait for room. */
class Slots {
  active = 0;
  private waiters: (() => void)[] = [];
  constructor(readonly capacity: number) {}
  get free(): number {
    return this.capacity - this.active;
  }
  release(n: number): void {
    this.active -= n;
    for (const wake of this.waiters.splice(0)) wake();
  }
  whenFree(): Promise<void> {
    return this.free > 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** Book-keeping shared by both protocols: run records, background work, first failure. */
class PhaseRecorder {
  private runs: number[] = [];
  private pending = new Set<Promise<void>>();
  failure: Error | null = null;
  lost = 0;
  conflicts = 0;
  statements = 0;
  polls = 0;
  acquireDeadlocks = 0;
  releaseDeadlocks = 0;
  unreleased = 0;

  constructor(private readonly index: Map<string, number>) {}

  /** Simulates one agent run; returns its start (wall clock) and duration. */
  async run(
    agentId: string,
    dueAtMs: number,
    settings: WorkerSettings,
  ): Promise<{ startedAt: Date; ms: number }> {
    const startWall = wallMs();
    const startUs = monotonicUs();
    await sleep(settings.runMinMs + Math.random() * (settings.runMaxMs - settings.runMinMs));
    const endUs = monotonicUs();
    const agent = this.index.get(agentId);
    if (agent === undefined) throw new Error(`unknown agent ${agentId}`);
    this.runs.push(agent, startUs, endUs, dueAtMs, startWall - dueAtMs);
    return { startedAt: new Date(startWall), ms: (endUs - startUs) / 1000 };
  }

  background(work: Promise<void>): void {
    const tracked: Promise<void> = work
      .catch((err: unknown) => {
        this.failure ??= err instanceof Error ? err : new Error(String(err));
      })
      .finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    if (this.failure) throw this.failure;
  }

  report(owner: string): PhaseReport {
    return {
      owner,
      runs: Float64Array.from(this.runs),
      lost: this.lost,
      conflicts: this.conflicts,
      statements: this.statements,
      polls: this.polls,
      acquireDeadlocks: this.acquireDeadlocks,
      releaseDeadlocks: this.releaseDeadlocks,
      unreleased: this.unreleased,
    };
  }
}

const RELEASE_ATTEMPTS = 10;

type Store = Awaited<ReturnType<typeof openCacheStore>>;

/** Our protocol: one acquireDue per poll, one release per finished batch. */
async function runOurs(store: Store, s: WorkerSettings, spec: PhaseSpec, rec: PhaseRecorder): Promise<void> {
  const slots = new Slots(s.limit);
  const releaseBatch = async (leases: Lease[]) => {
    const done = await Promise.all(
      leases.map((l) => rec.run(l.agentId, (l.dueAt ?? new Date()).getTime(), s)),
    );
    const now = Date.now();
    const releases = leases.map((l, i) => ({
      agentId: l.agentId,
      token: l.token,
      nextRunAt: new Date(Math.max((l.dueAt?.getTime() ?? now) + spec.intervalMs, now)),
      run: { startedAt: done[i].startedAt, durationMs: done[i].ms, additions: 0, evictions: 0, error: null },
    }));
    // A deadlock victim changed nothing: retry, as a real scheduler would. Should it keep failing,
    // the leases stay held until their TTL runs out (counted, not fatal).
    for (let attempt = 1; ; attempt++) {
      rec.statements++;
      try {
        const outcome = await store.store.leases.release(s.owner, releases);
        rec.lost += outcome.lost.length;
        break;
      } catch (err) {
        if (!isDeadlock(err)) throw err;
        rec.releaseDeadlocks++;
        if (attempt >= RELEASE_ATTEMPTS) {
          rec.unreleased += releases.length;
          break;
        }
      }
    }
    slots.release(leases.length);
  };

  await sleep(spec.t0 - Date.now());
  while (Date.now() < spec.endAt && !rec.failure) {
    if (slots.free <= 0) {
      await slots.whenFree();
      continue;
    }
    const asked = slots.free;
    rec.statements++;
    rec.polls++;
    let leases: Lease[];
    try {
      leases = await store.store.leases.acquireDue({ owner: s.owner, ttlMs: s.ttlMs, limit: asked });
    } catch (err) {
      if (!isDeadlock(err)) throw err;
      rec.acquireDeadlocks++; // the victim acquired nothing; poll again
      continue;
    }
    if (leases.length > 0) {
      slots.active += leases.length;
      rec.background(releaseBatch(leases));
    }
    if (leases.length === asked) continue; // more may be due right now
    if (leases.length > 0) {
      await sleep(Math.min(s.pollMs, spec.endAt - Date.now()));
      continue;
    }
    // Nothing was due: sleep until the soonest next run among agents nobody holds.
    const rows: { next_run_at: Date }[] = await store.dataSource.query(
      `SELECT s.next_run_at FROM agent_schedule s
        WHERE NOT s.paused
          AND NOT EXISTS (SELECT 1 FROM agent_lease l WHERE l.agent_id = s.agent_id AND l.expires_at > now())
        ORDER BY s.next_run_at LIMIT 1`,
    );
    rec.statements++;
    await sleep(idleSleep(rows[0]?.next_run_at.getTime(), s, spec));
  }
  await rec.drain();
  await store.store.leases.releaseAll(s.owner);
}

/**
 * The Clouddriver-style baseline, as SqlClusteredAgentScheduler does it on one table shaped like
 * `cats_agent_locks` (agent_name PK, owner_id, lock_acquired, lock_expiry in epoch ms). The lock
 * row is also the schedule: a finished agent keeps its row and one UPDATE sets its expiry to its
 * next run. Every tick reads the whole lock table, DELETEs each expired lock it saw (one statement
 * each, guarded by the expiry it read), then tries one INSERT per candidate (every agent without a
 * live lock), a unique violation meaning "held elsewhere". Per run: one INSERT, one UPDATE, one
 * DELETE, plus the reads. Paced exactly like our loop (same limit, same sleeps), which is kinder
 * to it than Clouddriver's fixed 1 s tick.
 */
async function runBaseline(
  pool: Pool,
  s: WorkerSettings,
  spec: PhaseSpec,
  rec: PhaseRecorder,
  agents: string[],
): Promise<void> {
  const slots = new Slots(s.limit);
  const running = new Set<string>();
  // Named (server-side prepared) statements, as Clouddriver's JDBC driver ends up using: parse
  // and plan once per connection, not per call.
  const prepared = new Map<string, string>();
  const query = async <R extends Record<string, unknown>>(text: string, values: unknown[] = []) => {
    rec.statements++;
    let name = prepared.get(text);
    if (!name) prepared.set(text, (name = `baseline_${prepared.size}`));
    return pool.query<R>({ name, text, values });
  };
  const runAndRelease = async (agent: string, dueAtMs: number) => {
    await rec.run(agent, dueAtMs, s);
    const now = Date.now();
    const next = Number.isNaN(dueAtMs) ? now + spec.intervalMs : Math.max(dueAtMs + spec.intervalMs, now);
    const updated = await query(
      `UPDATE bench_baseline_lock SET lock_expiry = $3 WHERE agent_name = $1 AND owner_id = $2`,
      [agent, s.owner, next],
    );
    if (updated.rowCount === 0) rec.lost++;
    running.delete(agent);
    slots.release(1);
  };

  await sleep(spec.t0 - Date.now());
  while (Date.now() < spec.endAt && !rec.failure) {
    if (slots.free <= 0) {
      await slots.whenFree();
      continue;
    }
    const asked = slots.free;
    rec.polls++;
    const locks = await query<{ agent_name: string; lock_expiry: string }>(
      `SELECT agent_name, lock_expiry FROM bench_baseline_lock`,
    );
    const tick = Date.now();
    const present = new Set<string>();
    const expired: [agent: string, expiry: number][] = [];
    let soonest = Infinity;
    for (const lock of locks.rows) {
      const expiry = Number(lock.lock_expiry);
      present.add(lock.agent_name);
      if (tick > expiry) expired.push([lock.agent_name, expiry]);
      else soonest = Math.min(soonest, expiry);
    }
    // [agent, due (NaN when this process cannot know it), order]
    const candidates: [agent: string, due: number, order: number][] = [];
    expired.sort((a, b) => a[1] - b[1]);
    for (const [agent, expiry] of expired) {
      try {
        const deleted = await query(
          `DELETE FROM bench_baseline_lock WHERE agent_name = $1 AND lock_expiry = $2`,
          [agent, expiry],
        );
        // Only when our delete removed it do we know the run it stood for was due at `expiry`;
        // otherwise another process got there first and the row we read is stale.
        candidates.push([agent, deleted.rowCount === 1 ? expiry : NaN, expiry]);
      } catch {
        // Clouddriver drops the candidate when the delete fails.
      }
    }
    // Agents with no row at all (another process deleted their expired lock and has not inserted
    // yet) are candidates too, as in Clouddriver; their due time is unknown here.
    for (const agent of agents) {
      if (!present.has(agent) && !running.has(agent)) candidates.push([agent, NaN, tick]);
    }
    candidates.sort((a, b) => a[2] - b[2]);
    let won = 0;
    for (const [agent, due] of candidates.slice(0, asked)) {
      if (Date.now() >= spec.endAt) break;
      const at = Date.now();
      try {
        await query(
          `INSERT INTO bench_baseline_lock (agent_name, owner_id, lock_acquired, lock_expiry) VALUES ($1, $2, $3, $4)`,
          [agent, s.owner, at, at + s.ttlMs],
        );
      } catch (err) {
        if ((err as { code?: string }).code !== '23505') throw err;
        rec.conflicts++; // held elsewhere
        continue;
      }
      won++;
      running.add(agent);
      slots.active++;
      rec.background(runAndRelease(agent, due));
    }
    if (won === asked) continue;
    if (won > 0) {
      await sleep(Math.min(s.pollMs, spec.endAt - Date.now()));
      continue;
    }
    // Nothing won: sleep until the soonest lock expiry we read (the table is the schedule).
    await sleep(idleSleep(Number.isFinite(soonest) ? soonest : undefined, s, spec));
  }
  await rec.drain();
}

/** PostgreSQL's deadlock_detected (raw pg error or TypeORM's QueryFailedError, which copies it). */
function isDeadlock(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } } | null;
  return (e?.code ?? e?.driverError?.code) === '40P01';
}

/** Until the soonest next run (at least 1 ms, at most idleMaxMs, never past the phase's end). */
function idleSleep(soonestMs: number | undefined, s: WorkerSettings, spec: PhaseSpec): number {
  const until = soonestMs === undefined ? s.idleMaxMs : soonestMs - Date.now();
  return Math.min(Math.max(until, 1), s.idleMaxMs, spec.endAt - Date.now());
}

/** Messages from the parent, queued so none is missed between phases. */
class Inbox {
  private queue: ToWorker[] = [];
  private waiter: ((message: ToWorker) => void) | null = null;
  constructor() {
    process.on('message', (message: ToWorker) => {
      if (this.waiter) {
        const wake = this.waiter;
        this.waiter = null;
        wake(message);
      } else this.queue.push(message);
    });
  }
  next(): Promise<ToWorker> {
    const queued = this.queue.shift();
    return queued ? Promise.resolve(queued) : new Promise((resolve) => (this.waiter = resolve));
  }
}

/** Worker entry point: connects, warms both pools, then runs phases on the parent's command. */
export async function runWorker(settings: WorkerSettings): Promise<void> {
  const send = (message: FromWorker) =>
    new Promise<void>((resolve, reject) =>
      process.send?.(message, undefined, {}, (err) => (err ? reject(err) : resolve())),
    );
  // If the parent goes away, so do we.
  let leaving = false;
  process.on('disconnect', () => {
    if (!leaving) process.exit(1);
  });
  const inbox = new Inbox();

  const agentIds = Array.from({ length: settings.agents }, (_, i) => agentScope(i).agentId);
  const index = new Map(agentIds.map((id, i) => [id, i]));
  const store = await openCacheStore(settings.url, {
    poolSize: settings.poolSize,
    applicationName: `bench-leases-${settings.owner}`,
  });
  const pool = new Pool({
    connectionString: settings.url,
    max: settings.poolSize,
    application_name: `bench-baseline-${settings.owner}`,
  });
  pool.on('error', () => undefined); // an idle connection dropped by the server (shutdown): not ours to crash on
  const warm = async (q: () => Promise<unknown>) => {
    await Promise.all(Array.from({ length: settings.poolSize }, q));
  };
  try {
    await warm(() => store.dataSource.query('SELECT 1'));
    await warm(() => pool.query('SELECT 1'));
    await store.store.leases.acquireDue({ owner: settings.owner, ttlMs: settings.ttlMs, limit: 1 });
    await send({ type: 'ready' });
    for (;;) {
      const message = await inbox.next();
      if (message.type === 'exit') break;
      const rec = new PhaseRecorder(index);
      try {
        if (message.spec.protocol === 'ours') await runOurs(store, settings, message.spec, rec);
        else await runBaseline(pool, settings, message.spec, rec, agentIds);
      } catch (err) {
        await rec.drain().catch(() => undefined);
        throw err;
      }
      await send({ type: 'report', report: rec.report(settings.owner) });
    }
  } catch (err) {
    await send({
      type: 'error',
      message: err instanceof Error ? (err.stack ?? err.message) : String(err),
    }).catch(() => undefined);
    process.exitCode = 1;
  } finally {
    await store.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
  }
  leaving = true;
  process.disconnect?.();
}
