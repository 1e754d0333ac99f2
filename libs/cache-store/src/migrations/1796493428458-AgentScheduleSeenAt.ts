import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a scheduler replica last registered each agent. Rows that exist already count as seen at
 * the migration: the replicas re-affirm theirs, and those no configuration has any more (the agents
 * of removed accounts and regions) are retired once unseen for agents.retireAfterSeconds.
 */
export class AgentScheduleSeenAt1796493428458 implements MigrationInterface {
  name = 'AgentScheduleSeenAt1796493428458';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      'ALTER TABLE "agent_schedule" ADD "seen_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "agent_schedule" DROP COLUMN "seen_at"');
  }
}
