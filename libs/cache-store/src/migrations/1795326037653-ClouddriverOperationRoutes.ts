import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Which Clouddriver instance sent each forwarded operation, so its results find the way back. */
export class ClouddriverOperationRoutes1795326037653 implements MigrationInterface {
  name = 'ClouddriverOperationRoutes1795326037653';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "clouddriver_operation" ("operation_id" text NOT NULL, "sender_id" text NOT NULL, "owner_id" text NOT NULL, "agent_id" text, "account" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_0d1c54674b940a40366f705eee1" PRIMARY KEY ("operation_id"))`,
    );
    await q.query(
      `CREATE INDEX "ix_clouddriver_operation_expires" ON "clouddriver_operation" ("expires_at")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."ix_clouddriver_operation_expires"`);
    await q.query(`DROP TABLE "clouddriver_operation"`);
  }
}
