import 'reflect-metadata';
import { openCacheStore } from '@event-cache/cache-store';
import { clouddriverCacheFor, REBUILD_LOCK, type RebuildProgress } from '@event-cache/clouddriver-projection';
import { ConfigError, loadConfig } from '@event-cache/platform';

/**
 * `npm run clouddriver:rebuild`: writes Clouddriver's cache tables anew from the cache, with the
 * configuration of the services (EVENT_CACHE_CONFIG, DATABASE_URL; `clouddriver.cache.enabled`
 * must be true). Agents may keep running: each batch is its own short transaction.
 */
async function main(): Promise<void> {
  const batchSize = Number(process.argv[2] ?? 1_000);
  if (!Number.isInteger(batchSize) || batchSize < 10 || batchSize > 10_000) {
    console.error('usage: npm run clouddriver:rebuild [-- <batch size, 10-10000>]');
    process.exit(2);
  }
  const config = loadConfig('caching-agents');
  const cache = clouddriverCacheFor(config);
  if (!cache) {
    console.error('clouddriver.cache.enabled is false in the configuration: nothing to rebuild');
    process.exit(2);
  }
  if (!config.database.url) {
    console.error('DATABASE_URL (or database.url) is required');
    process.exit(2);
  }
  const { store, close } = await openCacheStore(config.database.url, {
    projection: cache.port,
    applicationName: 'clouddriver-rebuild',
  });
  try {
    const started = Date.now();
    let last = 0;
    const print = (p: RebuildProgress) => {
      if (p.phase !== 'done' && Date.now() - last < 2_000) return;
      last = Date.now();
      console.log(
        `${p.phase}: ${p.resources} resources projected, ${p.checked} rows checked, ${p.removed} removed; ` +
          `${p.stats.rowsWritten} rows and ${p.stats.relationshipsWritten} relationships written`,
      );
    };
    const run = cache.runner((work) => store.projectionTransaction(work));
    const outcome = await store.exclusively(REBUILD_LOCK, () =>
      cache.projection.rebuild(run, { batchSize, onProgress: print }),
    );
    if (!outcome.acquired) {
      console.error('a rebuild is already running (POST /admin/clouddriver/rebuild or another command)');
      process.exitCode = 1;
      return;
    }
    console.log(`rebuilt in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await close();
    await cache.close();
  }
}

main().catch((e: unknown) => {
  console.error(
    'rebuild failed:',
    e instanceof ConfigError ? e.message : e instanceof Error ? e.message : String(e),
  );
  process.exit(1);
});
