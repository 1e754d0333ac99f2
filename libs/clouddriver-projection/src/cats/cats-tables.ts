import { quoteIdent, type SqlNames } from './sql-names';
import type { Sql } from './sql';

/** Clouddriver's own templates, created by its Liquibase changelog (clouddriver-sql, 20181120-cats.yml). */
const CLOUDDRIVER_RESOURCE_TEMPLATE = 'cats_v1_resource_template';
const CLOUDDRIVER_REL_TEMPLATE = 'cats_v1_rel_template';

/**
 * The templates as Clouddriver's PostgreSQL changelog leaves them (20181120-cats.yml, then
 * 20201110-field-type-postgres.yml): columns, types, nullability, primary keys and indexes.
 * `application` comes last because the changelog drops `afterColumn` for PostgreSQL.
 */
const TEMPLATE_DDL = [
  `CREATE TEMP TABLE event_cache_cats_resource_template (
     id text NOT NULL,
     agent text NOT NULL,
     body_hash varchar(64) NOT NULL,
     body text NOT NULL,
     last_updated bigint NOT NULL,
     application text,
     CONSTRAINT cats_pk PRIMARY KEY (id, agent)
   ) ON COMMIT DROP`,
  `CREATE INDEX agent_body_hash_idx ON event_cache_cats_resource_template (agent, body_hash)`,
  `CREATE INDEX resource_last_updated_idx ON event_cache_cats_resource_template (last_updated)`,
  `CREATE INDEX application_idx ON event_cache_cats_resource_template (application)`,
  `CREATE TEMP TABLE event_cache_cats_rel_template (
     uuid varchar(26) NOT NULL PRIMARY KEY,
     id text NOT NULL,
     rel_id text NOT NULL,
     rel_agent text NOT NULL,
     rel_type text,
     last_updated bigint
   ) ON COMMIT DROP`,
  `CREATE INDEX id_idx ON event_cache_cats_rel_template (id)`,
  `CREATE INDEX rel_agent_idx ON event_cache_cats_rel_template (rel_agent)`,
  `CREATE INDEX rel_type_idx ON event_cache_cats_rel_template (rel_type)`,
  `CREATE INDEX rel_ids_type_idx ON event_cache_cats_rel_template (id, rel_type, rel_id)`,
];

/**
 * Creates the resource and relationship tables of `types` the way Clouddriver's SqlCache does
 * (`CREATE TABLE IF NOT EXISTS <table> (LIKE <template> INCLUDING ALL)`), or adopts them when
 * Clouddriver already made them. The templates are Clouddriver's when its changelog has run on this
 * database; otherwise identical temporary ones, so Clouddriver's changelog can still create its own
 * later. Runs inside a transaction (`sql`); concurrent callers wait for each other.
 */
export async function ensureCatsTables(
  sql: Sql,
  names: SqlNames,
  types: readonly string[],
): Promise<string[]> {
  await sql.query(`SELECT pg_advisory_xact_lock(hashtextextended('event-cache:clouddriver-cats-ddl', 0))`);
  const [found] = await sql.query<{ resource: boolean; rel: boolean }>(
    `SELECT to_regclass($1) IS NOT NULL AS resource, to_regclass($2) IS NOT NULL AS rel`,
    [CLOUDDRIVER_RESOURCE_TEMPLATE, CLOUDDRIVER_REL_TEMPLATE],
  );
  let resourceTemplate = CLOUDDRIVER_RESOURCE_TEMPLATE;
  let relTemplate = CLOUDDRIVER_REL_TEMPLATE;
  if (!found.resource || !found.rel) {
    for (const statement of TEMPLATE_DDL) await sql.query(statement);
    resourceTemplate = 'pg_temp.event_cache_cats_resource_template';
    relTemplate = 'pg_temp.event_cache_cats_rel_template';
  }
  const tables: string[] = [];
  for (const type of types) {
    for (const [table, template] of [
      [names.resourceTable(type), resourceTemplate],
      [names.relTable(type), relTemplate],
    ]) {
      await sql.query(`CREATE TABLE IF NOT EXISTS ${quoteIdent(table)} (LIKE ${template} INCLUDING ALL)`);
      tables.push(table);
    }
  }
  return tables;
}
