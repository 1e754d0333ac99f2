import 'reflect-metadata';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { CachedResource, openCacheStore, type ResourceRecord } from '@event-cache/cache-store';
import { ClouddriverProjection } from '@event-cache/clouddriver-projection';
import { benchDatabase, printTable, round, timed } from './bench-support';
import { ACCOUNT, instanceRecord, serverGroupRecordsOf } from './ec2-instance.fixture';

/**
 * bench:store — 100,000 realistic EC2 instance records against one PostgreSQL, in one run:
 * COPY into a bare table (the physical limit), our first write, an unchanged rewrite, a rewrite
 * with 10% changed, and a naive TypeORM save() loop on a 5,000-record sample. Then the same three
 * writes into a second database with the Clouddriver cache projection on (its server groups
 * written first, so every instance is linked as in production): what the projection costs, and
 * how many Clouddriver rows an unchanged rewrite touches.
 */
const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const NAIVE_ROWS = 5_000;

async function main(): Promise<void> {
  const db = await benchDatabase();
  const { dataSource, store, close } = await openCacheStore(db.url, {
    poolSize: 4,
    applicationName: 'bench-store',
  });
  try {
    const records = Array.from({ length: ROWS }, (_, i) => instanceRecord(i));
    const bytes = records.reduce((n, r) => n + JSON.stringify(r.attributes).length, 0);

    const copy = await timed(() => copyRows(db.url, records));
    const agent = 'prod/us-east-1/InstanceCachingAgent';
    const first = await timed(() => store.resources.write(records, { fetchedAt: new Date(), agent }));
    const unchanged = await timed(() => store.resources.write(records, { fetchedAt: new Date(), agent }));
    const changedRecords = records.map((r, i) => (i % 10 === 0 ? instanceRecord(i, 1) : r));
    const tenPercent = await timed(() =>
      store.resources.write(changedRecords, { fetchedAt: new Date(), agent }),
    );

    const repo = dataSource.getRepository(CachedResource);
    const sample = Array.from({ length: NAIVE_ROWS }, (_, i) => instanceRecord(ROWS + i));
    const naive = await timed(async () => {
      for (const r of sample) {
        await repo.save(
          repo.create({
            key: r.key,
            type: r.type,
            account: r.account ?? null,
            region: r.region ?? null,
            application: r.application ?? null,
            agent,
            attributes: r.attributes,
            bodyHash: 'naive',
            fetchedAt: new Date(),
            changedAt: new Date(),
          }),
        );
      }
    });

    const check = (name: string, expected: number, actual: number) => {
      if (expected !== actual) throw new Error(`${name}: expected ${expected} rows written, got ${actual}`);
    };
    check('first write', ROWS, first.result.written.length);
    check('unchanged rewrite', 0, unchanged.result.written.length);
    check('10% changed', ROWS / 10, tenPercent.result.written.length);

    const projected = await projectedWrites(db.adminUrl, records, changedRecords, agent);
    check('first write, projected', ROWS, projected.first.result.written.length);
    check('unchanged rewrite, projected', 0, projected.unchanged.result.written.length);

    const rate = (rows: number, seconds: number) => round(rows / seconds);
    const result = {
      bench: 'store',
      rows: ROWS,
      copyRowsPerSec: rate(ROWS, copy.seconds),
      firstWriteRowsPerSec: rate(ROWS, first.seconds),
      unchangedRewriteRowsPerSec: rate(ROWS, unchanged.seconds),
      tenPercentChangedRowsPerSec: rate(ROWS, tenPercent.seconds),
      naiveRowsPerSec: rate(NAIVE_ROWS, naive.seconds),
      ratioToCopy: round(copy.seconds / first.seconds, 2),
      unchangedSpeedup: round(first.seconds / unchanged.seconds, 2),
      projectedFirstWriteRowsPerSec: rate(ROWS, projected.first.seconds),
      projectedUnchangedRewriteRowsPerSec: rate(ROWS, projected.unchanged.seconds),
      projectedTenPercentChangedRowsPerSec: rate(ROWS, projected.tenPercent.seconds),
      /** Throughput with the projection / without it, per kind of write. */
      projectedFirstWriteRatio: round(first.seconds / projected.first.seconds, 2),
      projectedUnchangedRatio: round(unchanged.seconds / projected.unchanged.seconds, 2),
      projectedTenPercentChangedRatio: round(tenPercent.seconds / projected.tenPercent.seconds, 2),
      clouddriverRowsWritten: projected.rowsWritten,
      clouddriverRowsRewrittenUnchanged: projected.rowsRewrittenUnchanged,
    };
    printTable(
      `bench:store (${ROWS.toLocaleString('en-US')} EC2 instances, avg ${round(bytes / ROWS)} B of JSON each)`,
      [
        [
          'COPY into a bare table',
          `${fmt(copy.seconds)}  ${result.copyRowsPerSec.toLocaleString('en-US')} rows/s`,
        ],
        [
          'first write',
          `${fmt(first.seconds)}  ${result.firstWriteRowsPerSec.toLocaleString('en-US')} rows/s`,
        ],
        [
          'unchanged rewrite',
          `${fmt(unchanged.seconds)}  ${result.unchangedRewriteRowsPerSec.toLocaleString('en-US')} rows/s`,
        ],
        [
          'rewrite, 10% changed',
          `${fmt(tenPercent.seconds)}  ${result.tenPercentChangedRowsPerSec.toLocaleString('en-US')} rows/s`,
        ],
        [
          `naive save() loop (${NAIVE_ROWS})`,
          `${fmt(naive.seconds)}  ${result.naiveRowsPerSec.toLocaleString('en-US')} rows/s`,
        ],
        ['first write / COPY', `${result.ratioToCopy} (target >= 0.5)`],
        ['unchanged speed-up', `${result.unchangedSpeedup}x (target >= 5)`],
        [
          'projected: first write',
          `${fmt(projected.first.seconds)}  ${result.projectedFirstWriteRowsPerSec.toLocaleString('en-US')} rows/s`,
        ],
        [
          'projected: unchanged rewrite',
          `${fmt(projected.unchanged.seconds)}  ${result.projectedUnchangedRewriteRowsPerSec.toLocaleString('en-US')} rows/s`,
        ],
        [
          'projected: rewrite, 10% changed',
          `${fmt(projected.tenPercent.seconds)}  ${result.projectedTenPercentChangedRowsPerSec.toLocaleString('en-US')} rows/s`,
        ],
        [
          'projected / unprojected: first write',
          `${result.projectedFirstWriteRatio} (every row new: 7 Clouddriver rows per instance)`,
        ],
        [
          'projected / unprojected: unchanged',
          `${result.projectedUnchangedRatio} (target >= 0.6: the projection costs <= 40%)`,
        ],
        ['projected / unprojected: 10% changed', `${result.projectedTenPercentChangedRatio} (target >= 0.6)`],
        [
          'Clouddriver rows written',
          `${result.clouddriverRowsWritten.toLocaleString('en-US')} (cats_v1_instances and _rel rows)`,
        ],
        [
          'Clouddriver rows an unchanged rewrite touched',
          `${result.clouddriverRowsRewrittenUnchanged} (target 0)`,
        ],
      ],
    );
    console.log(JSON.stringify(result));
  } finally {
    await close();
    await db.close();
  }
}

const fmt = (seconds: number) => `${seconds.toFixed(2).padStart(7)} s`;

/**
 * The writes again, into a database of their own with the Clouddriver projection on. Counts the
 * rows of Clouddriver's instance tables written, and those an unchanged rewrite touched
 * (`last_updated` moved).
 */
async function projectedWrites(
  adminUrl: string,
  records: ResourceRecord[],
  changedRecords: ResourceRecord[],
  agent: string,
) {
  const db = await benchDatabase({ adminUrl });
  const projection = new ClouddriverProjection({ accounts: [ACCOUNT], tableNamespace: null });
  const { dataSource, store, close } = await openCacheStore(db.url, {
    poolSize: 4,
    applicationName: 'bench-store-projected',
    projection,
  });
  const countRows = async (since?: number): Promise<number> => {
    const where = since === undefined ? '' : `WHERE last_updated > ${since}`;
    const rows: { n: string }[] = await dataSource.query(
      `SELECT (SELECT count(*) FROM cats_v1_instances ${where}) + (SELECT count(*) FROM cats_v1_instances_rel ${where}) AS n`,
    );
    return Number(rows[0].n);
  };
  try {
    const groups = serverGroupRecordsOf(records);
    await store.resources.write(groups, {
      fetchedAt: new Date(),
      agent: 'prod/us-east-1/ClusterCachingAgent',
    });
    const first = await timed(() => store.resources.write(records, { fetchedAt: new Date(), agent }));
    const rowsWritten = await countRows();
    const before = Date.now();
    const unchanged = await timed(() => store.resources.write(records, { fetchedAt: new Date(), agent }));
    const rowsRewrittenUnchanged = await countRows(before);
    const tenPercent = await timed(() =>
      store.resources.write(changedRecords, { fetchedAt: new Date(), agent }),
    );
    return { first, unchanged, tenPercent, rowsWritten, rowsRewrittenUnchanged };
  } finally {
    await close();
    await db.close();
  }
}

/** COPY of the same rows (same columns, same JSON) into a table with no index or constraint. */
async function copyRows(url: string, records: ResourceRecord[]): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE TABLE bench_copy (key text, type text, account text, region text, application text,
      agent text, attributes jsonb, body_hash text, fetched_at timestamptz, changed_at timestamptz)`);
    const stream = client.query(copyFrom('COPY bench_copy FROM STDIN'));
    const now = new Date().toISOString();
    const escape = (s: string) =>
      s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
    const done = new Promise<void>((resolve, reject) => {
      stream.on('finish', resolve);
      stream.on('error', reject);
    });
    for (let i = 0; i < records.length; i += 1_000) {
      let chunk = '';
      for (const r of records.slice(i, i + 1_000)) {
        chunk += `${[r.key, r.type, r.account ?? '', r.region ?? '', r.application ?? '', 'agent', escape(JSON.stringify(r.attributes)), 'hash', now, now].join('\t')}\n`;
      }
      if (!stream.write(chunk)) await new Promise((r) => stream.once('drain', r));
    }
    stream.end();
    await done;
  } finally {
    await client.end();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
