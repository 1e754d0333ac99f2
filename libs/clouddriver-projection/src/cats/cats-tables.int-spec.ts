import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import { PROJECTED_TYPES } from '../clouddriver-agents';
import { ensureCatsTables } from './cats-tables';
import { SqlNames } from './sql-names';
import type { Sql } from './sql';

/**
 * Clouddriver's changelog (clouddriver-sql 20181120-cats.yml, then 20201110-field-type-postgres.yml)
 * as Liquibase runs it on PostgreSQL, step by step: the templates are created with the original
 * types and changed afterwards; `application` is added last (no `afterColumn` on PostgreSQL).
 */
const CLOUDDRIVER_CHANGELOG = [
  `CREATE TABLE cats_v1_resource_template (id VARCHAR(255) NOT NULL, agent VARCHAR(127) NOT NULL,
     body_hash CHAR(64) NOT NULL, body TEXT NOT NULL, last_updated BIGINT NOT NULL)`,
  `ALTER TABLE cats_v1_resource_template ADD CONSTRAINT cats_pk PRIMARY KEY (id, agent)`,
  `CREATE INDEX agent_body_hash_idx ON cats_v1_resource_template(agent, body_hash)`,
  `CREATE INDEX resource_last_updated_idx ON cats_v1_resource_template(last_updated)`,
  `CREATE TABLE cats_v1_rel_template (uuid CHAR(26) NOT NULL, id VARCHAR(255) NOT NULL,
     rel_id VARCHAR(255) NOT NULL, rel_agent VARCHAR(127) NOT NULL, rel_type VARCHAR(64),
     last_updated BIGINT, CONSTRAINT cats_v1_rel_template_pkey PRIMARY KEY (uuid))`,
  `CREATE INDEX id_idx ON cats_v1_rel_template(id)`,
  `CREATE INDEX rel_agent_idx ON cats_v1_rel_template(rel_agent)`,
  `CREATE INDEX rel_type_idx ON cats_v1_rel_template(rel_type)`,
  `CREATE INDEX rel_last_updated_idx ON cats_v1_rel_template(last_updated)`,
  `CREATE INDEX rel_ids_type_idx ON cats_v1_rel_template(id, rel_type, rel_id)`,
  `DROP INDEX rel_last_updated_idx`,
  `ALTER TABLE cats_v1_resource_template ALTER COLUMN id TYPE VARCHAR(352)`,
  `ALTER TABLE cats_v1_rel_template ALTER COLUMN id TYPE VARCHAR(352)`,
  `ALTER TABLE cats_v1_rel_template ALTER COLUMN rel_id TYPE VARCHAR(352)`,
  `ALTER TABLE cats_v1_resource_template ADD application VARCHAR(255)`,
  `CREATE INDEX application_idx ON cats_v1_resource_template(application)`,
  `ALTER TABLE cats_v1_resource_template ALTER COLUMN id TYPE TEXT`,
  `ALTER TABLE cats_v1_resource_template ALTER COLUMN agent TYPE TEXT`,
  `ALTER TABLE cats_v1_resource_template ALTER COLUMN application TYPE TEXT`,
  `ALTER TABLE cats_v1_resource_template ALTER COLUMN body_hash TYPE VARCHAR(64)`,
  `ALTER TABLE cats_v1_resource_template ALTER COLUMN body TYPE TEXT`,
  `ALTER TABLE cats_v1_rel_template ALTER COLUMN uuid TYPE VARCHAR(26)`,
  `ALTER TABLE cats_v1_rel_template ALTER COLUMN id TYPE TEXT`,
  `ALTER TABLE cats_v1_rel_template ALTER COLUMN rel_id TYPE TEXT`,
  `ALTER TABLE cats_v1_rel_template ALTER COLUMN rel_agent TYPE TEXT`,
  `ALTER TABLE cats_v1_rel_template ALTER COLUMN rel_type TYPE TEXT`,
];

/** Columns (name, type, nullability, in order), primary key and indexes, with the table's name neutralised. */
async function tableShape(db: TestDatabase, table: string) {
  const columns = await db.sql(
    `SELECT column_name, data_type, character_maximum_length, is_nullable
       FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  const indexes = await db.sql<{ indexdef: string }>(
    `SELECT indexdef FROM pg_indexes WHERE tablename = $1 ORDER BY indexdef`,
    [table],
  );
  return { columns, indexes: indexes.map((i) => i.indexdef.split(table).join('<table>')) };
}

async function inTransaction<T>(url: string, work: (sql: Sql) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    const sql: Sql = {
      query: async <R>(text: string, params?: unknown[]) => (await client.query(text, params)).rows as R[],
    };
    const result = await work(sql);
    await client.query('COMMIT');
    return result;
  } finally {
    await client.end();
  }
}

describe('ensureCatsTables', () => {
  let ours: TestDatabase;
  let clouddrivers: TestDatabase;
  const names = new SqlNames();

  beforeAll(async () => {
    ours = await createTestDatabase();
    clouddrivers = await createTestDatabase();
    for (const statement of CLOUDDRIVER_CHANGELOG) await clouddrivers.sql(statement);
  });
  afterAll(async () => {
    await ours.drop();
    await clouddrivers.drop();
  });

  it('creates every table exactly as Clouddriver creates it from its own templates', async () => {
    const created = await inTransaction(ours.url, (sql) => ensureCatsTables(sql, names, PROJECTED_TYPES));
    expect(created).toContain('cats_v1_servergroups');
    expect(created).toContain('cats_v1_ondemand_rel');
    expect(created).toHaveLength(PROJECTED_TYPES.length * 2);
    // Without Clouddriver's changelog the templates were temporary: its changelog can still run.
    expect(await ours.sql(`SELECT to_regclass('cats_v1_resource_template') AS t`)).toEqual([{ t: null }]);

    await inTransaction(clouddrivers.url, (sql) =>
      ensureCatsTables(sql, names, ['instances', 'serverGroups']),
    );
    for (const table of ['cats_v1_instances', 'cats_v1_instances_rel', 'cats_v1_servergroups_rel']) {
      const expected = await tableShape(clouddrivers, table);
      expect(await tableShape(ours, table)).toEqual(expected);
      expect(expected.columns.length).toBeGreaterThan(5);
    }
    expect((await tableShape(ours, 'cats_v1_instances')).indexes).toEqual([
      'CREATE INDEX <table>_agent_body_hash_idx ON public.<table> USING btree (agent, body_hash)',
      'CREATE INDEX <table>_application_idx ON public.<table> USING btree (application)',
      'CREATE INDEX <table>_last_updated_idx ON public.<table> USING btree (last_updated)',
      'CREATE UNIQUE INDEX <table>_pkey ON public.<table> USING btree (id, agent)',
    ]);
  });

  it('adopts tables Clouddriver already made, keeping their rows, and is safe to run again', async () => {
    await clouddrivers.sql(`INSERT INTO cats_v1_instances (id, agent, body_hash, body, last_updated)
                            VALUES ('aws:instances:prod:us-east-1:i-1', 'a', 'h', '{}', 1)`);
    await inTransaction(clouddrivers.url, (sql) => ensureCatsTables(sql, names, ['instances']));
    await Promise.all([
      inTransaction(ours.url, (sql) => ensureCatsTables(sql, names, PROJECTED_TYPES)),
      inTransaction(ours.url, (sql) => ensureCatsTables(sql, names, PROJECTED_TYPES)),
    ]);
    expect(await clouddrivers.sql(`SELECT id FROM cats_v1_instances`)).toEqual([
      { id: 'aws:instances:prod:us-east-1:i-1' },
    ]);
  });

  it('honours the table namespace', async () => {
    await inTransaction(ours.url, (sql) => ensureCatsTables(sql, new SqlNames('spin'), ['vpcs']));
    expect(await ours.sql(`SELECT to_regclass('cats_v1_spin_vpcs_rel') IS NOT NULL AS t`)).toEqual([
      { t: true },
    ]);
  });
});
