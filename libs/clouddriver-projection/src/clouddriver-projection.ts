import { parseCacheKey } from '@event-cache/events';
import { instanceHealthKey, PROJECTED_TYPES } from './clouddriver-agents';
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
import { projectInstance, projectServerGroupImages } from './projectors/instances.projector';
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

/** The store's current state (its `ProjectionStoreView`, structurally). */
export interface StoreView {
  resources(keys: readonly string[]): Promise<StoredResource[]>;
  linking(
    targets: readonly string[],
    sourceType: string,
    options?: { fields?: readonly string[] },
  ): Promise<{ target: string; resource: StoredResource }[]>;
}

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

  lockKeys(): string[] {
    return [
      ...[...this.clusters.values()].map((s) => `clusters|${s.key}|${s.account}|${s.region}`),
      ...[...this.applications.values()].map((s) => `applications|${s.key}|${s.account}|${s.region}`),
      ...[...this.balancerApps.keys()].map((k) => `balancer-applications|${k}`),
      ...[...this.serverGroupImages.keys()].map((k) => `server-group-images|${k}`),
      ...[...this.loadBalancers].map((k) => `loadBalancers|${k}`),
      ...[...this.health].map((k) => `health|${k}`),
    ].sort();
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
    const plan = new ProjectionPlan();
    const units = new Units();
    const evicted = new Set(change.evicted);
    for (const resource of change.written) {
      this.projectOwn(resource, plan);
      collectUnits(resource.key, resource.relationships, units);
    }
    for (const key of change.evicted) {
      const type = parseCacheKey(key)?.type;
      if (type === undefined || type === 'clusters' || type === 'applications') continue;
      plan.delete(type, key, null);
      plan.purge(type, key);
      collectUnits(key, {}, units);
    }
    for (const link of change.previousLinks) {
      collectUnits(link.source, { [link.targetType]: [link.target] }, units);
    }
    for (const key of evicted) {
      units.loadBalancers.delete(key);
      // An evicted instance's target group health goes with it, whatever the target groups say.
      const parsed = parseCacheKey(key);
      if (parsed?.type === 'instances') {
        units.health.delete(key);
        plan.delete('health', instanceHealthKey(parsed.instanceId, parsed.account, parsed.region), null);
        plan.purge('health', instanceHealthKey(parsed.instanceId, parsed.account, parsed.region));
      }
    }
    await this.projectAggregates(units, change, tx.view, tx.sql, plan);
    return this.writer.write(tx.sql, plan);
  }

  private projectOwn(resource: StoredResource, plan: ProjectionPlan): void {
    switch (resource.type) {
      case 'instances':
        return projectInstance(resource, plan);
      case 'serverGroups':
        return projectServerGroup(resource, plan);
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
        { fields: [] },
      ),
    );
    const inScope = (scope: Scope) =>
      (bySg.get(scope.key) ?? []).filter((r) => r.account === scope.account && r.region === scope.region);
    for (const scope of units.clusters.values()) projectCluster({ ...scope, members: inScope(scope) }, plan);
    for (const scope of units.applications.values())
      projectApplication({ ...scope, members: inScope(scope) }, plan);
    for (const scope of units.balancerApps.values()) {
      projectBalancerApplications({ ...scope, members: inScope(scope) }, plan);
    }

    if (units.serverGroupImages.size > 0) {
      const instances = groupByTarget(
        await view.linking([...units.serverGroupImages.keys()], 'instances', {
          fields: ['imageId', 'state'],
        }),
      );
      for (const scope of units.serverGroupImages.values()) {
        const images = (instances.get(scope.key) ?? [])
          .filter((i) => !['shutting-down', 'terminated'].includes(str(obj(i.attributes.state).name) ?? ''))
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

    if (units.health.size > 0) {
      const keys = [...units.health];
      const targetGroups = groupByTarget(
        await view.linking(keys, 'targetGroups', { fields: ['targetGroupName', 'targetHealthDescriptions'] }),
      );
      const written = new Map(change.written.map((r) => [r.key, r]));
      const unknown = keys.filter((k) => !written.has(k) && targetGroups.has(k));
      for (const r of await view.resources(unknown)) written.set(r.key, r);
      for (const key of keys) {
        const parsed = parseCacheKey(key);
        if (parsed?.type !== 'instances') continue;
        const instance = written.get(key);
        projectTargetGroupHealth(
          {
            key,
            account: parsed.account,
            region: parsed.region,
            instanceId: parsed.instanceId,
            application: instance?.application ?? null,
          },
          targetGroups.get(key) ?? [],
          plan,
        );
      }
    }
  }
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
