import {
  type AnyCachingAgent,
  type RefreshItem,
  runCachingAgent,
  type RunReport,
  type TargetedRefresher,
} from '@event-cache/agents';
import { type AwsAgentAccount, createAwsAgents, type AwsAgents } from '@event-cache/aws-agents';
import { type CacheStore, openCacheStore } from '@event-cache/cache-store';
import { ClouddriverProjection } from '@event-cache/clouddriver-projection';
import { configSchema } from '@event-cache/platform';
import { createTestDatabase, type TestDatabase } from '@event-cache/testing';

export const ACCOUNT: AwsAgentAccount = {
  name: 'prod',
  accountId: '123456789012',
  environment: 'prod',
  regions: [{ name: 'us-east-1' }],
};
export const REGION = 'us-east-1';

/** A row of one of Clouddriver's tables, its body parsed. */
export interface CatsRow {
  id: string;
  agent: string;
  application: string | null;
  body: {
    id: string;
    attributes: Record<string, unknown>;
    relationships: Record<string, unknown[]>;
    ttlSeconds: number;
  };
  /** The body as stored (the text `body_hash` is the hash of). */
  rawBody: string;
  bodyHash: string;
}

/**
 * A test database whose cache store projects into Clouddriver's tables, with the built-in AWS
 * agents and refreshers of one account/region (their SDK clients are what aws-sdk-client-mock
 * replaces), and the writes the agent runtime makes for a run and a refresh.
 */
export class ProjectionHarness {
  private constructor(
    readonly db: TestDatabase,
    readonly store: CacheStore,
    readonly projection: ClouddriverProjection,
    readonly aws: AwsAgents,
    private readonly closeStore: () => Promise<void>,
  ) {}

  static async open(options: { tableNamespace?: string | null; accounts?: AwsAgentAccount[] } = {}) {
    const accounts = options.accounts ?? [ACCOUNT];
    const db = await createTestDatabase();
    const projection = new ClouddriverProjection({
      accounts,
      tableNamespace: options.tableNamespace ?? null,
    });
    const { store, close } = await openCacheStore(db.url, { projection, poolSize: 4 });
    const aws = createAwsAgents({
      accounts,
      aws: configSchema.parse({}).aws,
    });
    return new ProjectionHarness(db, store, projection, aws, close);
  }

  async close(): Promise<void> {
    this.aws.close();
    await this.closeStore();
    await this.db.drop();
  }

  /** The agent of `kind` (an AWS_AGENT_KINDS value) for the account/region. */
  agent(kind: string, account = ACCOUNT, region = REGION): AnyCachingAgent {
    const provider = this.aws.providers.find((p) => p.kind === kind);
    if (!provider) throw new Error(`no provider of ${kind}`);
    return provider.create(account, region);
  }

  /**
   * One run, written as the agent runtime writes it (page by page, then evicting what no page
   * returned): `region` (default us-east-1); throws unless it succeeded.
   */
  async run(kind: string, now = new Date(), options: { region?: string } = {}): Promise<RunReport> {
    const report = await this.runAgent(this.agent(kind, ACCOUNT, options.region ?? REGION), now);
    if (report.outcome !== 'success') throw new Error(`${kind} run ${report.outcome}: ${report.error}`);
    return report;
  }

  /** One run of `agent` as the runtime writes it, whatever its outcome. */
  runAgent(agent: AnyCachingAgent, now = new Date()): Promise<RunReport> {
    return runCachingAgent(agent, {
      cache: this.store.resources,
      signal: new AbortController().signal,
      now: () => now,
    });
  }

  /** One targeted refresh, written as the refresh worker writes it. */
  async refresh(
    type: string,
    items: (Omit<RefreshItem, 'requestId' | 'partial'> & { partial?: boolean })[],
    now = new Date(),
  ): Promise<void> {
    const refresher: TargetedRefresher | undefined = this.aws.refreshers.find((r) => r.types.includes(type));
    if (!refresher) throw new Error(`no refresher of ${type}`);
    const outcome = await refresher.refresh(
      {
        account: ACCOUNT.name,
        region: REGION,
        type,
        items: items.map((item, i) => ({ partial: false, ...item, requestId: String(i + 1) })),
      },
      { signal: new AbortController().signal, now: () => now },
    );
    if (outcome.failed.length > 0) throw new Error(`refresh failed: ${JSON.stringify(outcome.failed)}`);
    if (outcome.found.length > 0) {
      await this.store.resources.write(outcome.found, {
        fetchedAt: outcome.readStartedAt,
        agent: outcome.agentId,
        touchUnchanged: true,
      });
    }
    if (outcome.missing.length > 0) await this.store.resources.evict(outcome.missing, outcome.readStartedAt);
  }

  /** Every row of a Clouddriver resource table, by id then agent. */
  async rows(type: string): Promise<CatsRow[]> {
    const table = this.projection.names.resourceTable(type);
    const rows = await this.db.sql<{
      id: string;
      agent: string;
      application: string | null;
      body: string;
      body_hash: string;
    }>(`SELECT id, agent, application, body, body_hash FROM "${table}" ORDER BY id, agent`);
    return rows.map((r) => ({
      id: r.id,
      agent: r.agent,
      application: r.application,
      body: JSON.parse(r.body) as CatsRow['body'],
      rawBody: r.body,
      bodyHash: r.body_hash,
    }));
  }

  /** Every relationship row of a type's `_rel` table, without the ULID and time. */
  async relationships(
    type: string,
  ): Promise<{ id: string; relId: string; relAgent: string; relType: string }[]> {
    const table = this.projection.names.relTable(type);
    return this.db.sql(
      `SELECT id, rel_id AS "relId", rel_agent AS "relAgent", rel_type AS "relType" FROM "${table}"
        ORDER BY id, rel_type, rel_id, rel_agent`,
    );
  }
}
