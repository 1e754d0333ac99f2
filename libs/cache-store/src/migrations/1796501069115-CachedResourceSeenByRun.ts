import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The agent run that last returned each cached row. Agents write their runs page by page, each
 * page marking its rows (unchanged ones included); a complete run evicts the agent's rows it did
 * not mark. Rows that exist already have no mark: the next complete run of their agent marks
 * those it still finds. Nullable without a default, so adding it rewrites nothing.
 */
export class CachedResourceSeenByRun1796501069115 implements MigrationInterface {
  name = 'CachedResourceSeenByRun1796501069115';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "cached_resource" ADD "seen_by_run" uuid');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "cached_resource" DROP COLUMN "seen_by_run"');
  }
}
