import { startEmbeddedPostgres } from '@event-cache/testing';

/**
 * Runs the local stack's embedded PostgreSQL in its own process group, so a Ctrl-C in the
 * terminal reaches `npm start` (which stops the services first) and not PostgreSQL itself.
 * Prints `ready <url> <data directory>` once accepting connections (as root, the data directory
 * may be a stand-in for the one asked for: see startEmbeddedPostgres), or `failed <JSON string>`
 * saying why it could not start; stops cleanly on SIGTERM or SIGINT.
 */
async function main(): Promise<void> {
  const [dataDir, port] = process.argv.slice(2);
  const postgres = await startEmbeddedPostgres({ dataDir, port: Number(port) });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void postgres.stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The parent went away without stopping us: stop too rather than linger.
  process.stdin.on('close', stop);
  process.stdin.resume();
  process.stdout.write(`ready ${postgres.adminUrl} ${postgres.dataDir}\n`);
}

main().catch((e: unknown) => {
  process.stdout.write(`failed ${JSON.stringify(e instanceof Error ? e.message : String(e))}\n`);
  process.exit(1);
});
