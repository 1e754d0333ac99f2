import { parseCacheKey } from '@event-cache/events';
import {
  agentType,
  CLOUDDRIVER_AGENT,
  type ClouddriverAgentClass,
  PROJECTED_TYPES,
  relAgent,
} from './clouddriver-agents';
import { quoteIdent } from './cats/sql-names';
import { ensureCatsTables } from './cats/cats-tables';
import { CatsWriter, type WriteStats } from './cats/cats-writer';
import { SqlNames } from './cats/sql-names';
import type { Sql } from './cats/sql';
import { ProjectionPlan } from './plan';
import {
  projectApplication,
  projectBalancerApplications,
  projectCluster,
} from './projectors/clusters.projector';
import { isLive, projectInstance, projectServerGroupImages } from './projectors/instances.projector';
import { projectLaunchTemplate } from './projectors/launch-templates.projector';
import {
  projectLoadBalancer,
  projectTargetGroup,
  projectTargetGroupHealth,
} from './projectors/load-balancers.projector';
import { projectNetworkResource } from './projectors/networks.projector';
import { projectServerGroup } from './projectors/server-groups.projector';
import { links, obj, str, type StoredResource } from './projectors/stored-resource';

/** The change the cache store hands over (its `ResourceChange`, structurally). */
export interface ResourceChange {
  written: StoredResource[];
  evicted: string[];
  previousLinks: { source: string; target: string; targetType: string }[];
}

/** A force refresh's state (the store's `OnDemandChange`, structurally). */
export interface OnDemandChange {
  type: string;
  key: string;
  account: string;
  region: string;
  cacheTime: Date;
  processedTime: Date | null;
  processedCount: number;
}

/** Clouddriver's on-demand agents by the type they refresh (their rows are `cacheResults`). */
const ON_DEMAND_AGENTS: Record<string, ClouddriverAgentClass> = {
  serverGroups: CLOUDDRIVER_AGENT.cluster,
  loadBalancers: CLOUDDRIVER_AGENT.applicationLoadBalancer,
};
/** An onDemand row expires after 10 minutes, as the agents' `handle` sets it. */
const ON_DEMAND_TTL_SECONDS = 600;

/** The store's current state (its `ProjectionStoreView`, structurally). */
export interface StoreView {
  resources(
    keys: readonly string[],
    options?: { fields?: readonly string[]; relationships?: readonly string[] },
  ): Promise<StoredResource[]>;
  linking(
    targets: readonly string[],
    sourceType: string,
    options?: { fields?: readonly string[]; relationships?: readonly string[] },
  ): Promise<{ target: string; resource: StoredResource }[]>;
  existing(keys: readonly string[]): Promise<Set<string>>;
  linkedFrom(targets: readonly string[], sourceType: string): Promise<{ target: string; source: string }[]>;
  scan(options: {
    afterKey: string | null;
    limit: number;
    types?: readonly string[];
  }): Promise<StoredResource[]>;
}

/** One rebuild at a time across every process: the name of the session-level advisory lock it holds. */
export const REBUILD_LOCK = 'event-cache:clouddriver-projection-rebuild';

/** Runs one batch of a rebuild in a transaction of its own (the store's `projectionTransaction`). */
export type ProjectionRunner = <T>(work: (tx: { sql: Sql; view: StoreView }) => Promise<T>) => Promise<T>;

export interface RebuildProgress {
  phase: 'project' | 'sweep' | 'done';
  /** Store resources projected so far. */
  resources: number;
  /** Rows of Clouddriver's tables checked by the sweep so far. */
  checked: number;
  /** Rows the sweep removed (their resource is gone) or recomputed (aggregates). */
  removed: number;
  stats: WriteStats;
}

/** The store types the projection reads; clusters and applications come from server groups. */
const SOURCE_TYPES = [
  'instances',
  'launchTemplates',
  'loadBalancers',
  'securityGroups',
  'serverGroups',
  'subnets',
  'targetGroups',
  'vpcs',
];

/** Per table, the agent classes whose rows the projection owns. */
const OWNED_ROWS: Record<string, ClouddriverAgentClass> = {
  instances: CLOUDDRIVER_AGENT.instance,
  serverGroups: CLOUDDRIVER_AGENT.cluster,
  clusters: CLOUDDRIVER_AGENT.cluster,
  applications: CLOUDDRIVER_AGENT.cluster,
  launchTemplates: CLOUDDRIVER_AGENT.launchTemplate,
  loadBalancers: CLOUDDRIVER_AGENT.applicationLoadBalancer,
  targetGroups: CLOUDDRIVER_AGENT.applicationLoadBalancer,
  health: CLOUDDRIVER_AGENT.applicationLoadBalancer,
  securityGroups: CLOUDDRIVER_AGENT.securityGroup,
  subnets: CLOUDDRIVER_AGENT.subnet,
  vpcs: CLOUDDRIVER_AGENT.vpc,
};

export interface ClouddriverProjectionOptions {
  /** Clouddriver's `sql.table-namespace` (null: none). */
  tableNamespace?: string | null;
  /** The accounts in the configuration (subnet rows carry the account id). */
  accounts: readonly { name: string; accountId: string }[];
  now?: () => number;
}

/** Aggregated rows a change touched, by kind: key -> account/region scope. */
class Units {
  readonly clusters = new Map<string, Scope>();
  readonly applications = new Map<string, Scope>();
  readonly balancerApps = new Map<string, Scope & { type: 'loadBalancers' | 'targetGroups' }>();
  readonly serverGroupImages = new Map<string, Scope>();
  readonly loadBalancers = new Set<string>();
  readonly health = new Set<string>();
  /** Instances whose health rows need a look only if a target group has them as a target. */
  readonly healthIfTargeted = new Set<string>();
  /**
   * Relationship rows other resources state towards a resource that was just created: they could
   * not exist before it (rows reach only resources the store holds). Key -> the rows' scope.
   */
  readonly counterparts = new Map<
    string,
    { type: string; relAgent: string; relType: string; sourceType: string }
  >();

  lockKeys(): string[] {
    return [
      ...[...this.clusters.values()].map((s) => `clusters|${s.key}|${s.account}|${s.region}`),
      ...[...this.applications.values()].map((s) => `applications|${s.key}|${s.account}|${s.region}`),
      ...[...this.balancerApps.keys()].map((k) => `balancer-applications|${k}`),
      ...[...this.serverGroupImages.keys()].map((k) => `server-group-images|${k}`),
      ...[...this.loadBalancers].map((k) => `loadBalancers|${k}`),
      ...[...this.health, ...this.healthIfTargeted].map((k) => `health|${k}`),
      ...[...this.counterparts.keys()].map((k) => `counterparts|${k}`),
    ].sort();
  }

  /** Keys whose existence decides whether a unit's rows exist. */
  anchors(): string[] {
    return [
      ...this.health,
      ...this.healthIfTargeted,
      ...this.serverGroupImages.keys(),
      ...this.balancerApps.keys(),
    ];
  }
}

interface Scope {
  key: string;
  account: string;
  region: string;
}

/**
 * Keeps Clouddriver's SQL cache tables (cats-sql) in step with the cache store: every write and
 * eviction of an AWS resource becomes, in the same transaction, the rows Clouddriver's own AWS
 * caching agents would have written for it. Implements the store's `CacheProjectionPort`.
 *
 * Rows that belong to one resource (its row, the links its agent states) are computed from the
 * written resource; rows Clouddriver's agents aggregate over several resources (a cluster's or an
 * application's server groups, a load balancer's target groups, an instance's target group
 * health, a server group's images) are recomputed from the store's current state, under a
 * transaction-scoped advisory lock per aggregate so concurrent writers cannot lose each other's
 * contribution.
 */
export class ClouddriverProjection {
  readonly names: SqlNames;
  private readonly writer: CatsWriter;
  private readonly accountIds: Map<string, string>;

  constructor(options: ClouddriverProjectionOptions) {
    this.names = new SqlNames(options.tableNamespace ?? null);
    this.writer = new CatsWriter(this.names, options.now);
    this.accountIds = new Map(options.accounts.map((a) => [a.name, a.accountId]));
  }

  /** Creates (or adopts) every table the projection writes; the store calls it at start-up, in a transaction. */
  async init(tx: Sql): Promise<void> {
    await ensureCatsTables(tx, this.names, PROJECTED_TYPES);
  }

  async apply(change: ResourceChange, tx: { sql: Sql; view: StoreView }): Promise<WriteStats> {
    return this.applyWith(change, new Units(), tx);
  }

  /**
   * Writes Clouddriver's tables anew from the store, for the first switch-over or after a format
   * change: every stored resource is projected, a batch per transaction, then rows the projection
   * owns whose resource the store no longer has are removed and aggregates recomputed. Agents keep
   * writing meanwhile: each batch locks only its resources, and only for its transaction.
   */
  async rebuild(
    run: ProjectionRunner,
    options: { batchSize?: number; signal?: AbortSignal; onProgress?: (p: RebuildProgress) => void } = {},
  ): Promise<RebuildProgress> {
    const batchSize = options.batchSize ?? 1_000;
    const progress: RebuildProgress = {
      phase: 'project',
      resources: 0,
      checked: 0,
      removed: 0,
      stats: { rowsWritten: 0, rowsDeleted: 0, relationshipsWritten: 0, relationshipsDeleted: 0 },
    };
    const add = (stats: WriteStats) => {
      for (const k of Object.keys(stats) as (keyof WriteStats)[]) progress.stats[k] += stats[k];
    };
    let after: string | null = null;
    for (;;) {
      options.signal?.throwIfAborted();
      const page: string | null = await run(async (tx) => {
        const resources = await tx.view.scan({ afterKey: after, limit: batchSize, types: SOURCE_TYPES });
        if (resources.length === 0) return null;
        add(await this.apply({ written: resources, evicted: [], previousLinks: [] }, tx));
        progress.resources += resources.length;
        return resources[resources.length - 1].key;
      });
      options.onProgress?.({ ...progress });
      if (page === null) break;
      after = page;
    }
    progress.phase = 'sweep';
    for (const [type, agentClass] of Object.entries(OWNED_ROWS)) {
      let afterRow: { id: string; agent: string } | null = null;
      for (;;) {
        options.signal?.throwIfAborted();
        const last: { id: string; agent: string } | null = await run(async (tx) => {
          const rows = await tx.sql.query<{ id: string; agent: string }>(
            `SELECT id, agent FROM ${quoteIdent(this.names.resourceTable(type))}
              WHERE agent LIKE $1 AND ($2::text IS NULL OR (id, agent) > ($2, $3))
              ORDER BY id, agent LIMIT $4`,
            [`%/${agentClass}`, afterRow?.id ?? null, afterRow?.agent ?? null, batchSize],
          );
          if (rows.length === 0) return null;
          progress.checked += rows.length;
          const stats = await this.sweep(type, rows, tx);
          progress.removed += stats.rowsDeleted;
          add(stats);
          return rows[rows.length - 1];
        });
        options.onProgress?.({ ...progress });
        if (last === null) break;
        afterRow = last;
      }
    }
    progress.phase = 'done';
    options.onProgress?.({ ...progress });
    return progress;
  }

  /** Removes rows whose resource is gone; recomputes aggregated rows (clusters, applications, health). */
  private async sweep(
    type: string,
    rows: { id: string; agent: string }[],
    tx: { sql: Sql; view: StoreView },
  ): Promise<WriteStats> {
    const units = new Units();
    if (type === 'clusters' || type === 'applications') {
      for (const { id, agent } of rows) {
        const [account, region] = agent.split('/');
        const scope = { key: id, account, region };
        (type === 'clusters' ? units.clusters : units.applications).set(`${id}|${account}|${region}`, scope);
      }
      return this.applyWith({ written: [], evicted: [], previousLinks: [] }, units, tx);
    }
    if (type === 'health') {
      for (const { id } of rows) {
        const [, , instanceId, account, region] = id.split(':');
        if (instanceId && account && region)
          units.health.add(`aws:instances:${account}:${region}:${instanceId}`);
      }
      return this.applyWith({ written: [], evicted: [], previousLinks: [] }, units, tx);
    }
    const ids = [...new Set(rows.map((r) => r.id))];
    const present = await tx.view.existing(ids);
    const gone = ids.filter((id) => !present.has(id));
    return this.applyWith({ written: [], evicted: gone, previousLinks: [] }, units, tx);
  }

  /**
   * The projection of one change. Invariant (what makes an incremental projection equal to a
   * rebuild): a relationship row joins two resources the store holds (for the types it holds; launch
   * configs, images and classic load balancers are other Clouddriver agents' and always count as
   * present), and a health row exists for an instance the store holds.
   */
  private async applyWith(
    change: ResourceChange,
    units: Units,
    tx: { sql: Sql; view: StoreView },
  ): Promise<WriteStats> {
    const plan = new ProjectionPlan();
    const evicted = new Set(change.evicted);
    const written = new Map(change.written.map((r) => [r.key, r]));
    for (const resource of change.written) {
      if (resource.type === 'instances') collectInstanceUnits(resource, units);
      else collectUnits(resource.key, resource.relationships, units);
      if (resource.created) collectCreated(resource.key, units);
    }
    for (const key of change.evicted) collectUnits(key, {}, units);
    for (const link of change.previousLinks) {
      const instance = written.get(link.source);
      // A written instance's server group images change only if it left that server group (its
      // new links add what they need without a recomputation).
      if (instance?.type === 'instances') {
        if (link.targetType === 'serverGroups' && !links(instance, 'serverGroups').includes(link.target)) {
          collectUnits(link.source, { serverGroups: [link.target] }, units);
        }
        continue;
      }
      collectUnits(link.source, { [link.targetType]: [link.target] }, units);
    }
    for (const key of evicted) units.loadBalancers.delete(key);

    const needed = new Set<string>(units.anchors());
    for (const resource of change.written) for (const key of crossEndpoints(resource)) needed.add(key);
    for (const key of needed) if (written.has(key)) needed.delete(key);
    const unknown = [...needed].filter((k) => isStoredKey(k) && !written.has(k) && !evicted.has(k));
    const existing = await tx.view.existing(unknown);
    const exists = (key: string) =>
      written.has(key) || (!evicted.has(key) && (!isStoredKey(key) || existing.has(key)));

    for (const resource of change.written) this.projectOwn(resource, plan, exists);
    for (const key of change.evicted) {
      const parsed = parseCacheKey(key);
      if (parsed === undefined || parsed.type === 'clusters' || parsed.type === 'applications') continue;
      plan.delete(parsed.type, key, null);
      plan.purge(parsed.type, key);
    }
    await this.projectAggregates(units, change, tx.view, tx.sql, plan, exists);
    return this.writer.write(tx.sql, plan);
  }

  /**
   * The `onDemand` rows Clouddriver's CacheController lists for Orca (agent `onDemand`, ttl 600 s):
   * `cacheTime` when asked, `processedTime` and `processedCount` once a read that started after it
   * was written, as ClusterCachingAgent and the ALB agent record them; `cacheResults` holds the
   * row as projected now (what those agents would merge on their next run). Server groups and
   * load balancers known by their exact key only: Clouddriver has no other on-demand rows.
   */
  async onDemand(changes: OnDemandChange[], tx: { sql: Sql }): Promise<WriteStats> {
    const wanted = changes.filter((c) => ON_DEMAND_AGENTS[c.type] !== undefined && !c.key.includes('*'));
    const plan = new ProjectionPlan();
    const bodies = new Map<string, string>();
    for (const type of new Set(wanted.map((c) => c.type))) {
      const ofType = wanted.filter((c) => c.type === type);
      const rows = await tx.sql.query<{ id: string; body: string }>(
        `SELECT id, body FROM ${quoteIdent(this.names.resourceTable(type))}
          WHERE id = ANY($1::text[]) AND agent = ANY($2::text[])`,
        [ofType.map((c) => c.key), ofType.map((c) => agentType(c.account, c.region, ON_DEMAND_AGENTS[type]))],
      );
      for (const row of rows) bodies.set(row.id, row.body);
    }
    for (const change of wanted) {
      const body = bodies.get(change.key);
      const attributes: Record<string, unknown> = {
        cacheTime: change.cacheTime.getTime(),
        cacheResults: body === undefined ? '{}' : `{${JSON.stringify(change.type)}:[${body}]}`,
      };
      if (change.processedTime !== null) {
        attributes.processedTime = change.processedTime.getTime();
        attributes.processedCount = change.processedCount;
      }
      plan.upsert({
        type: 'onDemand',
        agent: 'onDemand',
        data: { id: change.key, attributes, relationships: {}, ttlSeconds: ON_DEMAND_TTL_SECONDS },
      });
    }
    return this.writer.write(tx.sql, plan);
  }

  /**
   * onDemand rows written or changed after `since` (epoch ms of `last_updated`) that no read has
   * processed yet (no `processedTime`, or one before `cacheTime`): what Clouddriver's own force
   * refresh wrote when Orca asked Clouddriver, and what its disabled agents will never process.
   */
  async pendingOnDemand(
    sql: Sql,
    since: number,
    limit = 500,
  ): Promise<{ pending: PendingOnDemand[]; lastUpdated: number | null }> {
    const rows = await sql.query<{ id: string; body: string; last_updated: string }>(
      `SELECT id, body, last_updated FROM ${quoteIdent(this.names.resourceTable('onDemand'))}
        WHERE agent = 'onDemand' AND last_updated > $1 ORDER BY last_updated LIMIT $2`,
      [since, limit],
    );
    const pending: PendingOnDemand[] = [];
    for (const row of rows) {
      const entry = pendingEntry(row.id, row.body);
      if (entry) pending.push(entry);
    }
    return { pending, lastUpdated: rows.length === 0 ? null : Number(rows[rows.length - 1].last_updated) };
  }

  private projectOwn(resource: StoredResource, plan: ProjectionPlan, exists: (key: string) => boolean): void {
    switch (resource.type) {
      case 'instances':
        return projectInstance(resource, plan, exists);
      case 'serverGroups':
        return projectServerGroup(resource, plan, exists);
      case 'launchTemplates':
        return projectLaunchTemplate(resource, plan);
      case 'targetGroups':
        return projectTargetGroup(resource, plan);
      case 'securityGroups':
      case 'subnets':
      case 'vpcs':
        return projectNetworkResource(resource, this.accountIds, plan);
      default:
        // Load balancers are aggregates (their target groups); clusters and applications are
        // aggregates of server groups; other types are not Clouddriver's AWS agents' to write.
        return;
    }
  }

  private async projectAggregates(
    units: Units,
    change: ResourceChange,
    view: StoreView,
    sql: Sql,
    plan: ProjectionPlan,
    exists: (key: string) => boolean,
  ): Promise<void> {
    const lockKeys = units.lockKeys();
    if (lockKeys.length === 0) return;
    await sql.query(
      `SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0)))
         FROM (SELECT k FROM unnest($1::text[]) AS k ORDER BY k) AS ordered`,
      [lockKeys],
    );

    // Server groups behind clusters, applications, load balancers and target groups: one query.
    const bySg = groupByTarget(
      await view.linking(
        [
          ...new Set([
            ...[...units.clusters.values()].map((s) => s.key),
            ...[...units.applications.values()].map((s) => s.key),
            ...units.balancerApps.keys(),
          ]),
        ],
        'serverGroups',
        // What clusters, applications and load balancers' applications take from their members.
        { fields: [], relationships: ['applications', 'clusters', 'loadBalancers', 'targetGroups'] },
      ),
    );
    const inScope = (scope: Scope) =>
      (bySg.get(scope.key) ?? []).filter((r) => r.account === scope.account && r.region === scope.region);
    for (const scope of units.clusters.values()) projectCluster({ ...scope, members: inScope(scope) }, plan);
    for (const scope of units.applications.values())
      projectApplication({ ...scope, members: inScope(scope) }, plan);
    for (const scope of units.balancerApps.values()) {
      projectBalancerApplications({ ...scope, members: exists(scope.key) ? inScope(scope) : [] }, plan);
    }

    if (units.serverGroupImages.size > 0) {
      const instances = groupByTarget(
        await view.linking([...units.serverGroupImages.keys()], 'instances', {
          fields: ['imageId', 'state'],
        }),
      );
      for (const scope of units.serverGroupImages.values()) {
        const images = (exists(scope.key) ? (instances.get(scope.key) ?? []) : [])
          .filter(isLive)
          .map((i) => str(i.attributes.imageId) ?? 'null');
        projectServerGroupImages(scope.key, scope.account, scope.region, images, plan);
      }
    }

    if (units.loadBalancers.size > 0) {
      const keys = [...units.loadBalancers];
      const found = new Map((await view.resources(keys)).map((r) => [r.key, r]));
      const targetGroups = groupByTarget(
        await view.linking(keys, 'targetGroups', { fields: ['targetGroupName', 'targetType'] }),
      );
      for (const key of keys) projectLoadBalancer(found.get(key), key, targetGroups.get(key) ?? [], plan);
    }

    if (units.health.size + units.healthIfTargeted.size > 0) {
      const targetGroups = groupByTarget(
        await view.linking([...new Set([...units.health, ...units.healthIfTargeted])], 'targetGroups', {
          fields: ['targetGroupName', 'targetHealthDescriptions'],
        }),
      );
      // A written instance no target group has cannot have or need a health row.
      const keys = [
        ...new Set([...units.health, ...[...units.healthIfTargeted].filter((k) => targetGroups.has(k))]),
      ];
      const instances = new Map(change.written.map((r) => [r.key, r]));
      const unknown = keys.filter((k) => !instances.has(k) && targetGroups.has(k));
      // Only their application: a target group page names thousands of instances.
      for (const r of await view.resources(unknown, { fields: [], relationships: [] }))
        instances.set(r.key, r);
      for (const key of keys) {
        const parsed = parseCacheKey(key);
        if (parsed?.type !== 'instances') continue;
        projectTargetGroupHealth(
          {
            key,
            account: parsed.account,
            region: parsed.region,
            instanceId: parsed.instanceId,
            application: instances.get(key)?.application ?? null,
          },
          exists(key) ? (targetGroups.get(key) ?? []) : [],
          plan,
        );
      }
    }

    for (const sourceType of new Set([...units.counterparts.values()].map((c) => c.sourceType))) {
      const targets = [...units.counterparts].filter(
        ([key, c]) => c.sourceType === sourceType && exists(key),
      );
      const sources = new Map<string, string[]>();
      const keys = targets.map(([key]) => key);
      const found =
        sourceType === 'instances'
          ? // Only instances Clouddriver caches (not shutting down) state their server group.
            (await view.linking(keys, 'instances', { fields: ['state'] }))
              .filter(({ resource }) => isLive(resource))
              .map(({ target, resource }) => ({ target, source: resource.key }))
          : await view.linkedFrom(keys, sourceType);
      for (const { target, source } of found) sources.set(target, [...(sources.get(target) ?? []), source]);
      for (const [key, scope] of [...units.counterparts].filter(([, c]) => c.sourceType === sourceType)) {
        const edges = (sources.get(key) ?? []).map((source) => ({
          a: key,
          aType: scope.type,
          b: source,
          bType: scope.sourceType,
          relAgent: scope.relAgent,
        }));
        plan.edges({ type: scope.type, key, relAgents: [scope.relAgent], relType: scope.relType }, edges);
      }
    }
  }
}

/** A Clouddriver onDemand row waiting for a read: what to refresh and when it was asked. */
export interface PendingOnDemand {
  type: 'serverGroups' | 'loadBalancers';
  key: string;
  account: string;
  region: string;
  /** The AWS name to read: the Auto Scaling group or the load balancer. */
  id: string;
  idKind: 'autoScalingGroupName' | 'loadBalancerName';
  cacheTime: Date;
}

function pendingEntry(key: string, body: string): PendingOnDemand | undefined {
  let attributes: Record<string, unknown>;
  try {
    attributes = obj((JSON.parse(body) as { attributes?: unknown }).attributes);
  } catch {
    return undefined;
  }
  const cacheTime = typeof attributes.cacheTime === 'number' ? attributes.cacheTime : undefined;
  const processed = typeof attributes.processedTime === 'number' ? attributes.processedTime : undefined;
  if (cacheTime === undefined || (processed !== undefined && processed >= cacheTime)) return undefined;
  const parsed = parseCacheKey(key);
  if (parsed?.type === 'serverGroups') {
    const { account, region, serverGroup } = parsed;
    return {
      type: 'serverGroups',
      key,
      account,
      region,
      id: serverGroup,
      idKind: 'autoScalingGroupName',
      cacheTime: new Date(cacheTime),
    };
  }
  if (parsed?.type === 'loadBalancers' && parsed.loadBalancerType !== 'classic') {
    const { account, region, loadBalancer } = parsed;
    return {
      type: 'loadBalancers',
      key,
      account,
      region,
      id: loadBalancer,
      idKind: 'loadBalancerName',
      cacheTime: new Date(cacheTime),
    };
  }
  return undefined;
}

/** The types the store holds: only resources of these can be missing from it. */
const STORED_TYPES = new Set([...SOURCE_TYPES, 'clusters', 'applications']);

/** Whether the store would hold the resource of `key` (classic load balancers are Clouddriver's). */
function isStoredKey(key: string): boolean {
  const parsed = parseCacheKey(key);
  if (parsed === undefined || !STORED_TYPES.has(parsed.type)) return false;
  return parsed.type !== 'loadBalancers' || parsed.loadBalancerType !== 'classic';
}

/** The resources a written resource's relationship rows reach. */
function crossEndpoints(resource: StoredResource): string[] {
  switch (resource.type) {
    case 'serverGroups':
      return ['instances', 'loadBalancers', 'targetGroups', 'launchTemplates'].flatMap((t) =>
        links(resource, t),
      );
    case 'instances':
      return links(resource, 'serverGroups');
    default:
      return [];
  }
}

/**
 * Rows other resources state towards a resource just created: ClusterCachingAgent's links from a
 * server group to it (instances, target groups, load balancers, launch templates), and
 * InstanceCachingAgent's from instances to a new server group, with the aggregates it anchors.
 */
function collectCreated(key: string, units: Units): void {
  const parsed = parseCacheKey(key);
  if (parsed === undefined || !('account' in parsed) || !('region' in parsed)) return;
  const cluster = relAgent(
    'serverGroups',
    agentType(parsed.account, parsed.region, CLOUDDRIVER_AGENT.cluster),
  );
  const scope = { key, account: parsed.account, region: parsed.region };
  switch (parsed.type) {
    case 'instances':
    case 'launchTemplates':
      units.counterparts.set(key, {
        type: parsed.type,
        relAgent: cluster,
        relType: 'serverGroups',
        sourceType: 'serverGroups',
      });
      return;
    case 'loadBalancers':
    case 'targetGroups':
      units.counterparts.set(key, {
        type: parsed.type,
        relAgent: cluster,
        relType: 'serverGroups',
        sourceType: 'serverGroups',
      });
      units.balancerApps.set(key, { ...scope, type: parsed.type });
      return;
    case 'serverGroups': {
      const instanceAgent = agentType(parsed.account, parsed.region, CLOUDDRIVER_AGENT.instance);
      units.counterparts.set(key, {
        type: 'serverGroups',
        relAgent: relAgent('instances', instanceAgent),
        relType: 'instances',
        sourceType: 'instances',
      });
      units.serverGroupImages.set(key, scope);
      return;
    }
    default:
      return;
  }
}

/**
 * The aggregates a written instance takes part in: its health row (if a target group has it) and,
 * when it is no longer live, the images of its server groups (a live instance adds its image link
 * itself, see projectInstance).
 */
function collectInstanceUnits(instance: StoredResource, units: Units): void {
  units.healthIfTargeted.add(instance.key);
  if (isLive(instance)) return;
  collectUnits(instance.key, { serverGroups: links(instance, 'serverGroups') }, units);
}

/** The aggregates a resource's links (now or before) take part in. */
function collectUnits(key: string, relationships: Record<string, string[]>, units: Units): void {
  const parsed = parseCacheKey(key);
  if (parsed === undefined || !('account' in parsed) || !('region' in parsed)) return;
  const { account, region } = parsed;
  const scoped = (k: string) => ({ key: k, account, region });
  const related = (type: string) => links({ relationships } as StoredResource, type);
  switch (parsed.type) {
    case 'serverGroups':
      for (const k of related('clusters')) units.clusters.set(`${k}|${account}|${region}`, scoped(k));
      for (const k of related('applications')) units.applications.set(`${k}|${account}|${region}`, scoped(k));
      for (const k of related('loadBalancers'))
        units.balancerApps.set(k, { ...scoped(k), type: 'loadBalancers' });
      for (const k of related('targetGroups'))
        units.balancerApps.set(k, { ...scoped(k), type: 'targetGroups' });
      return;
    case 'instances':
      for (const k of related('serverGroups')) units.serverGroupImages.set(k, scoped(k));
      units.health.add(key);
      return;
    case 'targetGroups':
      for (const k of related('loadBalancers')) units.loadBalancers.add(k);
      for (const k of related('instances')) units.health.add(k);
      return;
    case 'loadBalancers':
      units.loadBalancers.add(key);
      return;
    default:
      return;
  }
}

function groupByTarget(rows: { target: string; resource: StoredResource }[]): Map<string, StoredResource[]> {
  const out = new Map<string, StoredResource[]>();
  for (const { target, resource } of rows) {
    const list = out.get(target);
    if (list) list.push(resource);
    else out.set(target, [resource]);
  }
  return out;
}
