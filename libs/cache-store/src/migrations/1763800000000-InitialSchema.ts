import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The whole first schema: cache, relationships, leases, schedules, refreshes, inbox, registry. */
export class InitialSchema1763800000000 implements MigrationInterface {
  name = 'InitialSchema1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE "agent_lease_token_seq"`);
    await q.query(
      `CREATE TABLE "agent_lease" ("agent_id" text COLLATE "C" NOT NULL, "owner" text NOT NULL, "token" bigint NOT NULL, "acquired_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_2d13a9e9b67d72a9e2adb32b21d" PRIMARY KEY ("agent_id"))`,
    );
    await q.query(
      `CREATE TABLE "agent_schedule" ("agent_id" text COLLATE "C" NOT NULL, "provider" text NOT NULL DEFAULT 'aws', "kind" text NOT NULL, "account" text NOT NULL, "region" text NOT NULL, "base_interval_ms" integer NOT NULL, "interval_ms" integer NOT NULL, "interval_reason" text NOT NULL DEFAULT 'base', "next_run_at" TIMESTAMP WITH TIME ZONE NOT NULL, "paused" boolean NOT NULL DEFAULT false, "override_interval_ms" integer, "override_factor" double precision, "override_expires_at" TIMESTAMP WITH TIME ZONE, "override_set_by" text, "override_reason" text, "dynamic_factor" double precision NOT NULL DEFAULT '1', "consecutive_throttles" integer NOT NULL DEFAULT '0', "last_run_started_at" TIMESTAMP WITH TIME ZONE, "last_run_duration_ms" integer, "last_additions" integer, "last_evictions" integer, "last_error" text, "total_additions" bigint NOT NULL DEFAULT '0', "total_evictions" bigint NOT NULL DEFAULT '0', "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_dcdff4552861d848ee3ae0e8706" PRIMARY KEY ("agent_id"))`,
    );
    await q.query(`CREATE INDEX "ix_agent_schedule_scope" ON "agent_schedule" ("account", "region", "kind")`);
    await q.query(`CREATE INDEX "ix_agent_schedule_due" ON "agent_schedule" ("next_run_at")`);
    await q.query(
      `CREATE TABLE "cached_resource" ("key" text COLLATE "C" NOT NULL, "type" text NOT NULL, "account" text, "region" text, "application" text, "agent" text, "attributes" jsonb NOT NULL, "body_hash" text NOT NULL, "fetched_at" TIMESTAMP WITH TIME ZONE NOT NULL, "changed_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_46098bea171aafa911e28c232d9" PRIMARY KEY ("key"))`,
    );
    await q.query(`CREATE INDEX "ix_cached_resource_agent" ON "cached_resource" ("agent", "type")`);
    await q.query(
      `CREATE INDEX "ix_cached_resource_application" ON "cached_resource" ("application", "type")`,
    );
    await q.query(
      `CREATE INDEX "ix_cached_resource_scope" ON "cached_resource" ("type", "account", "region")`,
    );
    await q.query(
      `CREATE TABLE "cached_relationship" ("source_key" text COLLATE "C" NOT NULL, "target_key" text COLLATE "C" NOT NULL, "source_type" text NOT NULL, "target_type" text NOT NULL, CONSTRAINT "PK_d4a44947ec4c216ef31f983a28f" PRIMARY KEY ("source_key", "target_key"))`,
    );
    await q.query(`CREATE INDEX "ix_cached_relationship_target" ON "cached_relationship" ("target_key")`);
    await q.query(
      `CREATE TABLE "clouddriver_instance" ("id" text NOT NULL, "base_url" text NOT NULL, "ready" boolean NOT NULL, "last_updated" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_1c571703d701b753bf7c6011eeb" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE TABLE "clouddriver_ownership" ("agent_id" text NOT NULL, "clouddriver_id" text NOT NULL, "accounts" text array NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_337a11fc218438bc406749ebefc" PRIMARY KEY ("agent_id"))`,
    );
    await q.query(
      `CREATE INDEX "ix_clouddriver_ownership_instance" ON "clouddriver_ownership" ("clouddriver_id")`,
    );
    await q.query(
      `CREATE INDEX "ix_clouddriver_ownership_accounts" ON "clouddriver_ownership" USING gin ("accounts")`,
    );
    await q.query(
      `CREATE TABLE "event_inbox" ("event_id" text COLLATE "C" NOT NULL, "channel" text NOT NULL, "source" text, "detail_type" text, "account" text, "region" text, "payload" jsonb, "outcome" text NOT NULL DEFAULT 'pending', "reason" text, "refresh_keys" text array, "duplicate_count" integer NOT NULL DEFAULT '0', "received_at" TIMESTAMP WITH TIME ZONE NOT NULL, "processed_at" TIMESTAMP WITH TIME ZONE, "claimed_by" text, "claim_expires_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_95263ebb46b0466ace4cdd44014" PRIMARY KEY ("event_id"))`,
    );
    await q.query(`CREATE INDEX "ix_event_inbox_outcome" ON "event_inbox" ("outcome", "reason")`);
    await q.query(`CREATE INDEX "ix_event_inbox_received" ON "event_inbox" ("received_at")`);
    await q.query(
      `CREATE INDEX "ix_event_inbox_pending" ON "event_inbox" ("received_at") WHERE outcome = 'pending'`,
    );
    await q.query(
      `CREATE TABLE "pipeline_health" ("account" text NOT NULL, "region" text NOT NULL, "last_heartbeat_at" TIMESTAMP WITH TIME ZONE NOT NULL, "healthy_until" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_a3c2bb2d0da0a1ce40302684f84" PRIMARY KEY ("account", "region"))`,
    );
    await q.query(
      `CREATE TABLE "refresh_request" ("id" BIGSERIAL NOT NULL, "type" text NOT NULL, "key" text COLLATE "C" NOT NULL, "account" text NOT NULL, "region" text NOT NULL, "target" jsonb, "origin" text NOT NULL, "status" text NOT NULL DEFAULT 'pending', "requested_at" TIMESTAMP WITH TIME ZONE NOT NULL, "request_count" integer NOT NULL DEFAULT '1', "not_before" TIMESTAMP WITH TIME ZONE NOT NULL, "claimed_by" text, "claimed_at" TIMESTAMP WITH TIME ZONE, "claim_expires_at" TIMESTAMP WITH TIME ZONE, "attempts" integer NOT NULL DEFAULT '0', "processed_at" TIMESTAMP WITH TIME ZONE, "processed_count" integer, "error" text, "merged_into" bigint, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_678b4979a0b99eeb8a8cbcb2b20" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "ix_refresh_request_finished" ON "refresh_request" ("processed_at")`);
    await q.query(`CREATE INDEX "ix_refresh_request_type_key" ON "refresh_request" ("type", "key")`);
    await q.query(
      `CREATE INDEX "ix_refresh_request_claimable" ON "refresh_request" ("status", "not_before")`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "ux_refresh_request_pending_key" ON "refresh_request" ("key") WHERE status = 'pending'`,
    );

    // Wake-ups for low-latency consumers (LISTEN event_cache_inbox / event_cache_refresh); one
    // notification per statement, whatever the batch size. Consumers also poll as a fallback.
    await q.query(`CREATE FUNCTION "event_cache_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify(TG_ARGV[0], ''); RETURN NULL; END $$`);
    await q.query(`CREATE TRIGGER "tr_event_inbox_notify" AFTER INSERT ON "event_inbox"
      FOR EACH STATEMENT EXECUTE FUNCTION "event_cache_notify"('event_cache_inbox')`);
    await q.query(`CREATE TRIGGER "tr_refresh_request_notify" AFTER INSERT OR UPDATE OF "status" ON "refresh_request"
      FOR EACH STATEMENT EXECUTE FUNCTION "event_cache_notify"('event_cache_refresh')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "refresh_request"`);
    await q.query(`DROP TABLE "pipeline_health"`);
    await q.query(`DROP TABLE "event_inbox"`);
    await q.query(`DROP FUNCTION "event_cache_notify"()`);
    await q.query(`DROP TABLE "clouddriver_ownership"`);
    await q.query(`DROP TABLE "clouddriver_instance"`);
    await q.query(`DROP TABLE "cached_relationship"`);
    await q.query(`DROP TABLE "cached_resource"`);
    await q.query(`DROP TABLE "agent_schedule"`);
    await q.query(`DROP TABLE "agent_lease"`);
    await q.query(`DROP SEQUENCE "agent_lease_token_seq"`);
  }
}
