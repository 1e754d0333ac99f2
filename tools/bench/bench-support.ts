import 'reflect-metadata';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { migrate } from '@event-cache/cache-store';
import { databaseUrl, type RunningPostgres, startEmbeddedPostgres } from '@event-cache/testing';

/**
 * A fresh, migrated database on DATABASE_URL's server, or on a throwaway embedded server (or on
 * the server of `adminUrl`, another bench database's).
 */
export async function benchDatabase(
  options: { adminUrl?: string } = {},
): Promise<{ url: string; adminUrl: string; close(): Promise<void> }> {
  let server: RunningPostgres | undefined;
  let adminUrl = options.adminUrl ?? process.env.DATABASE_URL;
  if (!adminUrl) {
    server = await startEmbeddedPostgres();
    adminUrl = server.adminUrl;
  }
  const name = `event_cache_bench_${randomBytes(4).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  const url = databaseUrl(adminUrl, name);
  await migrate({ url });
  return {
    url,
    adminUrl,
    async close() {
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await server?.stop();
    },
  };
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const started = process.hrtime.bigint();
  const result = await work();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, result };
}

export function printTable(title: string, rows: [string, string][]): void {
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\n${title}`);
  console.log('-'.repeat(title.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  console.log('');
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export const round = (n: number, digits = 0) => Number(n.toFixed(digits));

/**
 * Starts one of the services from dist/ as its own process, as deployed; resolves once `readyPath`
 * (default /health/ready) answers 200 on `env.PORT`.
 */
export async function startServiceProcess(
  service: string,
  env: Record<string, string>,
  options: { nodeArgs?: string[]; readyPath?: string } = {},
): Promise<ChildProcess> {
  const main = join(__dirname, '..', '..', 'apps', service, 'src', 'main.js');
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), main], {
    env: { ...process.env, ...env },
    stdio: ['ignore', process.env.BENCH_STDOUT_DIR ? 'pipe' : 'ignore', 'inherit'],
  });
  // BENCH_STDOUT_DIR=<dir>: each service's standard output (e.g. V8's --trace-gc) to <dir>/<service>.out.
  if (process.env.BENCH_STDOUT_DIR)
    child.stdout?.pipe(createWriteStream(join(process.env.BENCH_STDOUT_DIR, `${service}.out`)));
  const url = `http://127.0.0.1:${env.PORT}${options.readyPath ?? '/health/ready'}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${service} exited with ${child.exitCode}`);
    const status = await fetch(url).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return child;
    if (Date.now() > deadline) throw new Error(`${service} did not become ready`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** SIGTERM, then waits for the process to exit. */
export async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
