import { Client } from 'pg';
import { ConfigError, loadConfig } from '@event-cache/platform';
import { localStackDatabaseUrl } from '../local-stack/local-data';
import { catsView } from './cats-view';

/**
 * `npm run clouddriver:tables [-- <type> [<id>]]`: Clouddriver's own cache tables as the services
 * wrote them, without psql. No argument: every cats_v1_* table with its row and relationship
 * counts; a type (`serverGroups`): the ids of its rows; a type and an id: that row's body.
 * Database: DATABASE_URL (or database.url of EVENT_CACHE_CONFIG), else `npm start`'s embedded one.
 */
async function main(): Promise<void> {
  const [type, id] = process.argv.slice(2);
  const config = loadConfig('caching-agents');
  const url = config.database.url ?? localStackDatabaseUrl();
  const client = new Client({ connectionString: url, application_name: 'clouddriver-tables' });
  try {
    await client.connect();
  } catch (e) {
    console.error(
      `cannot reach the database (${e instanceof Error ? e.message : String(e)}): is npm start running, or DATABASE_URL set?`,
    );
    process.exit(1);
  }
  try {
    const lines = await catsView(client, {
      tableNamespace: config.clouddriver.cache.tableNamespace ?? null,
      type,
      id,
    });
    console.log(lines.join('\n'));
  } finally {
    await client.end();
  }
}

main().catch((e: unknown) => {
  console.error(
    'clouddriver:tables failed:',
    e instanceof ConfigError ? e.message : e instanceof Error ? e.message : e,
  );
  process.exit(1);
});
