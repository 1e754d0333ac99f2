import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openCacheStore } from '@event-cache/cache-store';
import { benchDatabase } from '../bench/bench-support';

/**
 * `npm run migration:generate -- AddSomething`: migrates a scratch database (embedded, or on
 * DATABASE_URL's server), asks TypeORM what the entities still need, and writes that as a new
 * migration under libs/cache-store/src/migrations. Review it, then list it in migrations/index.ts.
 */
async function main(): Promise<void> {
  const name = process.argv[2];
  if (!name || !/^[A-Z][A-Za-z0-9]+$/.test(name)) {
    console.error('usage: npm run migration:generate -- <PascalCaseName>');
    process.exit(2);
  }
  const db = await benchDatabase();
  const { dataSource, close } = await openCacheStore(db.url, { poolSize: 1 });
  try {
    const log = await dataSource.driver.createSchemaBuilder().log();
    if (log.upQueries.length === 0) {
      console.log('entities and migrations agree: nothing to generate');
      return;
    }
    const stamp = Date.now();
    const className = `${name}${stamp}`;
    const q = (s: string) => `    await q.query(${JSON.stringify(s)});`;
    const file = join(
      resolve(__dirname, '..', '..', '..'),
      'libs',
      'cache-store',
      'src',
      'migrations',
      `${stamp}-${name}.ts`,
    );
    writeFileSync(
      file,
      `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  async up(q: QueryRunner): Promise<void> {
${log.upQueries.map((u) => q(u.query)).join('\n')}
  }

  async down(q: QueryRunner): Promise<void> {
${[...log.downQueries]
  .reverse()
  .map((d) => q(d.query))
  .join('\n')}
  }
}
`,
    );
    console.log(
      `wrote ${file}\nnext: add ${className} to libs/cache-store/src/migrations/index.ts, then npm run format`,
    );
  } finally {
    await close();
    await db.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
