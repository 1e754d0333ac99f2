import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The checkout's root: the nearest folder above this file (in `tools/` or `dist/tools/`) with nx.json. */
export const REPO_ROOT = findRoot(__dirname);

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no nx.json above ${from}`);
  }
}

/** What `npm start` keeps between runs (git-ignored): PostgreSQL's data, the local secrets, the demo's config. */
export const LOCAL_DATA_DIR = join(REPO_ROOT, '.data');

/** The port of `npm start`'s embedded PostgreSQL (`EVENT_CACHE_PG_PORT`, default 54329). */
export function localStackPgPort(env: NodeJS.ProcessEnv = process.env): number {
  return Number(env.EVENT_CACHE_PG_PORT ?? 54_329);
}

/** The URL of `npm start`'s embedded PostgreSQL (its superuser, as the keeper starts it). */
export function localStackDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return `postgres://postgres:postgres@127.0.0.1:${localStackPgPort(env)}/postgres`;
}
