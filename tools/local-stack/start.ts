import 'reflect-metadata';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { parse as parseYaml } from 'yaml';
import { migrate } from '@event-cache/cache-store';
import { ConfigError, loadConfig, SERVICE_PORTS, type ServiceName } from '@event-cache/platform';
import { DEMO_ACCOUNT } from './demo/demo-estate';
import { DEMO_CREDENTIALS_ENV, demoWanted } from './demo/demo-plan';
import { type DemoRun, startDemoRun } from './demo/demo-run';
import { LOCAL_DATA_DIR, localStackPgPort, REPO_ROOT } from './local-data';
import { localSecrets } from './local-secrets';
import { startBanner } from './start-banner';

/**
 * `npm start`: the whole stack on one machine. Starts an embedded PostgreSQL unless DATABASE_URL
 * is set (data kept in .data/postgres; as root in a folder other users cannot enter, where the
 * keeper says), applies migrations, starts the four services and, once they are up, prints one
 * block: where they are, the admin token and events API key in use, and commands to try. With no
 * account configured, the demo estate runs in this process (a simulated AWS account the services
 * read over the AWS wire protocols, whose changes send EventBridge events to gate-endpoint). Ctrl-C
 * stops the demo, the services, then PostgreSQL.
 */
const root = REPO_ROOT;
const SERVICES = Object.keys(SERVICE_PORTS) as ServiceName[];
const DEMO_STEP_SECONDS = 30;
const DEMO_SERVER_GROUP = 'billing-worker-v002'; // never redeployed by the demo: always there

async function main(): Promise<void> {
  const configFile =
    process.env.EVENT_CACHE_CONFIG ?? join(root, 'tools', 'local-stack', 'local.config.yaml');
  const config = loadConfig('gate-endpoint', { ...process.env, EVENT_CACHE_CONFIG: configFile });

  let postgres: Keeper | undefined;
  let databaseUrl = process.env.DATABASE_URL;
  mkdirSync(LOCAL_DATA_DIR, { recursive: true });
  if (!databaseUrl) {
    const dataDir = join(LOCAL_DATA_DIR, 'postgres');
    postgres = await startKeeper(dataDir, localStackPgPort());
    databaseUrl = postgres.adminUrl;
    const where = postgres.dataDir === dataDir ? relative(root, dataDir) : postgres.dataDir;
    console.log(`postgres      ${redact(databaseUrl)} (embedded, data in ${where})`);
  } else {
    console.log(`postgres      ${redact(databaseUrl)} (DATABASE_URL)`);
  }

  const applied = await migrate({ url: databaseUrl });
  console.log(`migrations    ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);

  const secrets = localSecrets(LOCAL_DATA_DIR, {
    adminToken: config.admin.token,
    eventsApiKey: config.events.apiKey,
  });
  const ports = Object.fromEntries(
    SERVICES.map((service) => [
      service,
      Number(process.env[`${service.toUpperCase().replace(/-/g, '_')}_PORT`] ?? SERVICE_PORTS[service]),
    ]),
  ) as Record<ServiceName, number>;
  const gateUrl = `http://localhost:${ports['gate-endpoint']}`;

  let demo: DemoRun | undefined;
  if (demoWanted(config)) {
    demo = await startDemoRun({
      config,
      file: readConfigFile(configFile),
      dataDir: LOCAL_DATA_DIR,
      gateUrl: `http://127.0.0.1:${ports['gate-endpoint']}`,
      eventsApiKey: secrets.eventsApiKey.value,
      stepMs: DEMO_STEP_SECONDS * 1_000,
      log: (line) => console.log(`demo          ${line}`),
    });
    console.log(
      `demo estate   ${demo.endpoint.url} (no accounts configured: a simulated AWS account "demo")`,
    );
  }

  const children = new Map<ServiceName, ChildProcess>();
  let stopping = false;

  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping services ...');
    demo?.stop();
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
    await demo?.close();
    if (postgres) {
      console.log('stopping postgres ...');
      await postgres.stop();
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    EVENT_CACHE_CONFIG: demo?.configFile ?? configFile,
    ADMIN_TOKEN: secrets.adminToken.value,
    EVENTS_API_KEY: secrets.eventsApiKey.value,
  };
  if (demo) {
    // The demo's fake static credentials, and nothing that would make the SDK look for real ones.
    for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL']) delete env[name];
    Object.assign(env, DEMO_CREDENTIALS_ENV);
  }

  for (const service of SERVICES) {
    // Own process group: a Ctrl-C reaches only this script, which stops services in order.
    const child = spawn(
      process.execPath,
      ['--enable-source-maps', join(root, 'dist', 'apps', service, 'src', 'main.js')],
      {
        cwd: root,
        env: { ...env, PORT: String(ports[service]) },
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
  }

  // The forwarder is up but never ready without Kubernetes (a laptop): wait for the others.
  const statuses = await Promise.all(
    SERVICES.map((service) =>
      service === 'clouddriver-forwarder'
        ? liveStatus(ports[service]).then((status) =>
            status.startsWith('kubernetes: no Kubernetes configuration')
              ? 'no Kubernetes configuration (expected on a laptop: it discovers Clouddriver pods)'
              : status,
          )
        : waitReady(service, ports[service]),
    ),
  );
  if (stopping) return;
  if (demo) {
    demo.start();
    await runDemoAgentsNow(gateUrl, secrets.adminToken.value);
  }
  const first = config.accounts[0];
  console.log(
    startBanner({
      services: SERVICES.map((name, i) => ({
        name,
        url: `http://localhost:${ports[name]}`,
        status: statuses[i],
      })),
      gateUrl,
      adminToken: secrets.adminToken,
      eventsApiKey: { ...secrets.eventsApiKey, header: config.events.apiKeyHeader },
      secretsFile: relative(root, secrets.file).startsWith('..')
        ? secrets.file
        : relative(root, secrets.file),
      example: demo
        ? { account: DEMO_ACCOUNT.name, region: DEMO_ACCOUNT.region, serverGroup: DEMO_SERVER_GROUP }
        : {
            account: first.name,
            region: first.regions[0].name,
            serverGroup: '<server group, e.g. app-stack-v001>',
          },
      demo: demo && {
        endpointUrl: demo.endpoint.url,
        accountId: DEMO_ACCOUNT.accountId,
        stepSeconds: DEMO_STEP_SECONDS,
      },
    }),
  );
}

/** The configuration file's own keys (the loader validated it already). */
function readConfigFile(path: string): Record<string, unknown> {
  const parsed: unknown = parseYaml(readFileSync(path, 'utf8'), { schema: 'core', merge: false });
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : {};
}

/**
 * The demo estate starts from the same account every run while the cache may hold an earlier
 * run's: every demo agent reads it now (POST /admin/refresh), rather than at its next interval.
 */
async function runDemoAgentsNow(gateUrl: string, adminToken: string): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      const res = await fetch(`${gateUrl}/admin/refresh`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ account: DEMO_ACCOUNT.name }),
      });
      if (res.ok) return;
      if (res.status !== 404) {
        console.error(`demo          POST /admin/refresh answered ${res.status}: ${await res.text()}`);
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
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

/** Waits for /health/ready: `ready`, or (when it stays down) which check is down and why. */
async function waitReady(service: ServiceName, port: number): Promise<string> {
  let last = 'not listening';
  for (let i = 0; i < 120; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
      if (res.ok) return 'ready';
      last = describeDown(await res.text());
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  console.error(`not ready     ${service.padEnd(22)} http://localhost:${port}: ${last}`);
  return last;
}

/** Once /health/live answers: `ready`, or why /health/ready says it is not. */
async function liveStatus(port: number): Promise<string> {
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/live`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
    return res.ok ? 'ready' : describeDown(await res.text());
  } catch {
    return 'not listening';
  }
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
  if (e instanceof ConfigError) {
    console.error(`npm start: ${e.message}`);
    process.exit(78);
  }
  console.error('npm start failed:', e instanceof Error ? e.message : e);
  process.exit(1);
});
