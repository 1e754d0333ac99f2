import 'reflect-metadata';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { migrate } from '@event-cache/cache-store';
import { SERVICE_PORTS, type ServiceName } from '@event-cache/platform';

/**
 * `npm start`: the whole stack on one machine. Starts an embedded PostgreSQL unless DATABASE_URL
 * is set (data kept in .data/postgres; as root in a folder other users cannot enter, where the
 * keeper says), applies migrations, starts the four services and says where each listens. Ctrl-C
 * stops the services, then PostgreSQL.
 */
const root = resolve(__dirname, '..', '..', '..');
const SERVICES = Object.keys(SERVICE_PORTS) as ServiceName[];
const EMBEDDED_PORT = Number(process.env.EVENT_CACHE_PG_PORT ?? 54329);

async function main(): Promise<void> {
  let postgres: Keeper | undefined;
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    const dataDir = join(root, '.data', 'postgres');
    mkdirSync(join(root, '.data'), { recursive: true });
    postgres = await startKeeper(dataDir, EMBEDDED_PORT);
    databaseUrl = postgres.adminUrl;
    const where = postgres.dataDir === dataDir ? relative(root, dataDir) : postgres.dataDir;
    console.log(`postgres      ${redact(databaseUrl)} (embedded, data in ${where})`);
  } else {
    console.log(`postgres      ${redact(databaseUrl)} (DATABASE_URL)`);
  }

  const applied = await migrate({ url: databaseUrl });
  console.log(`migrations    ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);

  const configFile =
    process.env.EVENT_CACHE_CONFIG ?? join(root, 'tools', 'local-stack', 'local.config.yaml');
  const children = new Map<ServiceName, ChildProcess>();
  let stopping = false;

  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping services ...');
    await Promise.all(
      [...children.values()].map(
        (child) =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
          }),
      ),
    );
    if (postgres) {
      console.log('stopping postgres ...');
      await postgres.stop();
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  for (const service of SERVICES) {
    const port = Number(
      process.env[`${service.toUpperCase().replace(/-/g, '_')}_PORT`] ?? SERVICE_PORTS[service],
    );
    // Own process group: a Ctrl-C reaches only this script, which stops services in order.
    const child = spawn(
      process.execPath,
      ['--enable-source-maps', join(root, 'dist', 'apps', service, 'src', 'main.js')],
      {
        cwd: root,
        env: {
          ...process.env,
          DATABASE_URL: databaseUrl,
          PORT: String(port),
          EVENT_CACHE_CONFIG: configFile,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    children.set(service, child);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => process.stdout.write(`[${service}] ${line}\n`));
    }
    child.on('exit', (code, signal) => {
      if (stopping) return;
      console.error(`${service} exited (${signal ?? code}); stopping the stack`);
      void stop(1);
    });
    void waitReady(service, port).then((ok) => {
      if (ok)
        console.log(`ready         ${service.padEnd(22)} http://localhost:${port}  (OpenAPI: /api-docs)`);
    });
  }
}

interface Keeper {
  adminUrl: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** Starts tools/local-stack/postgres-keeper in its own process group and waits for it. */
async function startKeeper(dataDir: string, port: number): Promise<Keeper> {
  const child = spawn(
    process.execPath,
    [join(root, 'dist', 'tools', 'local-stack', 'postgres-keeper.js'), dataDir, String(port)],
    { cwd: root, stdio: ['pipe', 'pipe', 'inherit'], detached: true },
  );
  const ready = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('ready ')) resolve(line.slice('ready '.length));
      if (line.startsWith('failed ')) reject(new Error(JSON.parse(line.slice('failed '.length)) as string));
    });
    // 'close' comes after the last line of its output ('exit' may not).
    child.once('close', (code) =>
      reject(new Error(`embedded PostgreSQL exited (${code}) before it was ready`)),
    );
  });
  const [adminUrl, ...where] = ready.split(' '); // the URL has no spaces, a path may
  return {
    adminUrl,
    dataDir: where.join(' '),
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

/** Waits for /health/ready; when it stays down, says which check is down and why. */
async function waitReady(service: ServiceName, port: number): Promise<boolean> {
  let last = 'not listening';
  for (let i = 0; i < 120; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
      if (res.ok) return true;
      last = describeDown(await res.text());
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  console.error(`not ready     ${service.padEnd(22)} http://localhost:${port}: ${last}`);
  return false;
}

function describeDown(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: Record<string, { message?: string }> };
    const down = Object.entries(parsed.error ?? {}).map(([name, d]) => `${name}: ${d.message ?? 'down'}`);
    return down.length ? down.join('; ') : 'not ready';
  } catch {
    return 'not ready';
  }
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

main().catch((e: unknown) => {
  console.error('npm start failed:', e instanceof Error ? e.message : e);
  process.exit(1);
});
