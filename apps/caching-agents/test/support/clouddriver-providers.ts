import { SecurityGroup$, Subnet$, Vpc$ } from '@aws-sdk/client-ec2';
import { NormalizedSchema } from '@smithy/core/schema';
import { parseFriggaName } from '@event-cache/events';
import {
  type CacheData,
  type CacheFilter,
  ClouddriverException,
  type ClouddriverReader,
  RelationshipCacheFilter,
} from './clouddriver-reader';

/**
 * Clouddriver's AWS read side replayed over a `ClouddriverReader`: the providers behind Deck's and
 * Orca's AWS endpoints (clouddriver-aws `provider/view/Amazon*Provider.groovy`) and the computed
 * properties of the models they build (`model/AmazonServerGroup.groovy`, `AmazonInstance.groovy`),
 * with the Groovy and Jackson conversions that turn a wrong type or a missing field into an
 * exception (a 500). Line references are to clouddriver 2f5e98f0 (2025-05-15).
 */

const { none, include } = RelationshipCacheFilter;

/** Health provider ids of the registered health agents (`awsProvider.healthAgents*.healthId`). */
export const HEALTH_AGENT_IDS = {
  /** AmazonLoadBalancerInstanceStateCachingAgent (classic ELB, accounts without Edda). */
  classic: 'aws-load-balancer-instance-health',
  /** AmazonApplicationLoadBalancerCachingAgent (target groups). */
  targetGroups: 'aws-load-balancer-v2-target-group-instance-health',
} as const;

// ---- Keys (clouddriver-aws data/Keys.groovy, cache/Keys.groovy) --------------------------------

export const Keys = {
  serverGroup(name: string, account: string, region: string): string {
    const names = parseFriggaName(name);
    return `aws:serverGroups:${names.cluster}:${account}:${region}:${names.group ?? name}`;
  },
  instance: (id: string, account: string, region: string) => `aws:instances:${account}:${region}:${id}`,
  launchConfig: (name: string | null, account: string, region: string) =>
    `aws:launchConfigs:${account}:${region}:${name}`,
  launchTemplate: (name: string, account: string, region: string) =>
    `aws:launchTemplates:${account}:${region}:${name}`,
  image: (id: string, account: string, region: string) => `aws:images:${account}:${region}:${id}`,
  health: (instanceId: string, account: string, region: string, healthId: string) =>
    `aws:health:${instanceId}:${account}:${region}:${healthId}`,
  cluster: (name: string, application: string, account: string) =>
    `aws:clusters:${application.toLowerCase()}:${account}:${name}`,
  application: (application: string) => `aws:applications:${application.toLowerCase()}`,
  loadBalancer(name: string, account: string, region: string, vpcId: string | null, type: string | null) {
    let key = `aws:loadBalancers:${account}:${region}:${name}`;
    if (vpcId) {
      key += `:${vpcId}`;
      if (type && type !== 'classic') key += `:${type}`;
    }
    return key;
  },
  securityGroup: (name: string, id: string, region: string, account: string, vpcId: string | null) =>
    `aws:securityGroups:${name}:${id}:${region}:${account}:${vpcId}`,
  subnet: (id: string, account: string, region: string) => `aws:subnets:${id}:${account}:${region}`,

  /** `Keys.parse` (the fields the readers use), null for keys it does not know. */
  parse(key: string): Record<string, string | null> | null {
    const parts = key.split(':');
    if (parts.length < 2 || parts[0] !== 'aws') return null;
    const appOf = (name: string | undefined) => parseFriggaName(name).app?.toLowerCase() ?? null;
    const at = (i: number) => parts[i] ?? null;
    switch (parts[1]) {
      case 'serverGroups':
        return {
          type: 'serverGroups',
          application: appOf(parts[5]),
          cluster: at(2),
          account: at(3),
          region: at(4),
          serverGroup: at(5),
        };
      case 'instances':
        return { type: 'instances', account: at(2), region: at(3), instanceId: at(4) };
      case 'loadBalancers': {
        const vpcId = parts.length > 5 ? parts[5] || null : null;
        return {
          type: 'loadBalancers',
          account: at(2),
          region: at(3),
          loadBalancer: at(4),
          vpcId,
          loadBalancerType: vpcId && parts.length > 6 ? parts[6] : 'classic',
        };
      }
      case 'targetGroups':
        return {
          type: 'targetGroups',
          account: at(2),
          region: at(3),
          targetGroup: at(4),
          targetType: at(5),
          vpcId: parts.length > 6 ? parts[6] || null : null,
        };
      case 'clusters':
        return { type: 'clusters', application: parts[2].toLowerCase(), account: at(3), cluster: at(4) };
      case 'health':
        return { type: 'health', instanceId: at(2), account: at(3), region: at(4), provider: at(5) };
      case 'securityGroups': {
        const idIndex = parts.findIndex((p) => p.startsWith('sg-'));
        return {
          type: 'securityGroups',
          name: parts.slice(2, idIndex).join(':'),
          id: at(idIndex),
          region: at(idIndex + 1),
          account: at(idIndex + 2),
          vpcId: parts[idIndex + 3] === 'null' ? null : at(idIndex + 3),
        };
      }
      case 'subnets':
      case 'vpcs':
        return { type: parts[1], id: at(2), account: at(3), region: at(4) };
      default:
        return null;
    }
  },
};

// ---- Groovy conversions -----------------------------------------------------------------------

/** Groovy truth. */
function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `castToType(value, Long)`: numbers convert, anything else (a String) is a GroovyCastException. */
function castLong(value: unknown, what: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Math.trunc(value);
  throw new ClouddriverException(
    'GroovyCastException',
    `${what}: cannot cast ${JSON.stringify(value)} to Long`,
  );
}

function castMap(value: unknown, what: string): Record<string, unknown> | null {
  if (value === null || value === undefined) return null;
  if (isMap(value)) return value;
  throw new ClouddriverException(
    'GroovyCastException',
    `${what}: cannot cast ${JSON.stringify(value)} to Map`,
  );
}

function castList(value: unknown, what: string): unknown[] | null {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value as unknown[];
  throw new ClouddriverException(
    'GroovyCastException',
    `${what}: cannot cast ${JSON.stringify(value)} to List`,
  );
}

function castString(value: unknown): string | null {
  return value === null || value === undefined ? null : text(value);
}

/** `toString()` of a JSON value (scalars as Java prints them; anything else as JSON). */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** `x.relationships[type]`, which the providers index without a null check. */
function rel(data: CacheData, type: string): (string | null)[] | undefined {
  if (data.relationships === null || data.relationships === undefined) {
    throw new ClouddriverException('NullPointerException', `${data.id}: relationships is null`);
  }
  return data.relationships[type];
}

// ---- AmazonInstance ---------------------------------------------------------------------------

export type HealthState = 'Up' | 'Starting' | 'Down' | 'OutOfService' | 'Unknown';

/** `new AmazonInstance(attributes)`: declared `name`, `launchTime` (Long), `health`; the rest extra. */
export interface AmazonInstance {
  name: string | null;
  launchTime: number | null;
  health: Record<string, unknown>[];
  extra: Record<string, unknown>;
  isHealthy?: boolean;
}

export function newAmazonInstance(attributes: Record<string, unknown>): AmazonInstance {
  const instance: AmazonInstance = { name: null, launchTime: null, health: [], extra: {} };
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'name') instance.name = castString(value);
    else if (key === 'launchTime') instance.launchTime = castLong(value, 'AmazonInstance.launchTime');
    else if (key === 'health') instance.health = castList(value, 'AmazonInstance.health') as never;
    else instance.extra[key] = value;
  }
  return instance;
}

/** `AmazonInstance.getHealthState()` (model/AmazonInstance.groovy 58-84). */
export function healthState(instance: AmazonInstance, now = Date.now()): HealthState {
  const states = (instance.health ?? []).map((h) => (isMap(h) ? h.state : undefined));
  const known = states.filter((s) => s !== 'Unknown');
  if (known.length > 0 && known.every((s) => s === 'Up')) return 'Up';
  if (states.includes('Starting')) return 'Starting';
  if (states.includes('Down')) return 'Down';
  if (states.includes('OutOfService')) return 'OutOfService';
  if (instance.launchTime !== null && instance.launchTime > now - 180_000) return 'Starting';
  return 'Unknown';
}

/** `AmazonInstance.getZone()`: `placement.availabilityZone`. */
export function zoneOf(instance: AmazonInstance): string | null {
  const placement = instance.extra.placement;
  return isMap(placement) ? castString(placement.availabilityZone) : null;
}

/** The instance as Jackson writes it for Deck and Orca (its getters evaluated). */
export function instanceJson(instance: AmazonInstance, now = Date.now()): Record<string, unknown> {
  const properties = {
    name: instance.name,
    launchTime: instance.launchTime,
    health: instance.health,
    providerType: 'aws',
    cloudProvider: 'aws',
    healthState: healthState(instance, now),
    zone: zoneOf(instance),
    availabilityZone: zoneOf(instance),
  };
  return withExtraAttributes(properties, {
    ...instance.extra,
    ...(instance.isHealthy !== undefined && { isHealthy: instance.isHealthy }),
  });
}

/**
 * The bean's properties followed by `@JsonAnyGetter`'s extra attributes. An extra attribute named
 * like a getter-only property is written twice, the raw value last, and that is the one clients
 * keep (see `shadowedGetters`).
 */
function withExtraAttributes(
  properties: Record<string, unknown>,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  return { ...properties, ...extra };
}

/**
 * Getters the Groovy map constructor cannot set (final, computed, or interface defaults of
 * clouddriver-core `model/ServerGroup.java` / `Instance.java`): an attribute of that name becomes
 * an extra attribute and overrides the computed value in the JSON Deck and Orca read.
 */
export const GETTER_ONLY: Readonly<Record<'serverGroups' | 'instances', readonly string[]>> = {
  serverGroups: [
    'type',
    'cloudProvider',
    'moniker',
    'disabled',
    'createdTime',
    'loadBalancers',
    'securityGroups',
    'instanceType',
    'tags',
    'instanceCounts',
    'capacity',
    'imagesSummary',
    'imageSummary',
    'serverGroupManagers',
    'labels',
  ],
  instances: [
    'providerType',
    'cloudProvider',
    'healthState',
    'zone',
    'availabilityZone',
    'humanReadableName',
    'labels',
  ],
};

/** The top-level attributes of a row that would shadow a getter of its model. */
export function shadowedGetters(
  type: 'serverGroups' | 'instances',
  attributes: Record<string, unknown>,
): string[] {
  return Object.keys(attributes).filter((k) => GETTER_ONLY[type].includes(k));
}

// ---- AmazonServerGroup ------------------------------------------------------------------------

export interface AmazonServerGroup {
  name: string | null;
  region: string | null;
  zones: unknown[] | null;
  instances: AmazonInstance[];
  asg: Record<string, unknown> | null;
  image: Record<string, unknown> | null;
  launchConfig: Record<string, unknown> | null;
  launchTemplate: Record<string, unknown> | null;
  mixedInstancesPolicy: Record<string, unknown> | null;
  buildInfo: Record<string, unknown> | null;
  vpcId: string | null;
  scalingPolicies: unknown[] | null;
  scheduledActions: unknown[] | null;
  targetGroups: unknown[] | null;
  extra: Record<string, unknown>;
}

const SERVER_GROUP_MAPS = new Set(['asg', 'image', 'launchConfig', 'launchTemplate', 'buildInfo']);
const SERVER_GROUP_LISTS = new Set([
  'zones',
  'scalingPolicies',
  'scheduledActions',
  'targetGroups',
  'health',
]);

/**
 * `new AmazonServerGroup(attributes)` from the providers' dynamic Groovy: declared properties go
 * through `castToType` (a Map where a Map is declared, a List where a Set or List is), the others
 * (`application`, `launchConfigName`, ...) to `extraAttributes`.
 */
export function newAmazonServerGroup(attributes: Record<string, unknown>): AmazonServerGroup {
  const sg: AmazonServerGroup = {
    name: null,
    region: null,
    zones: null,
    instances: [],
    asg: null,
    image: null,
    launchConfig: null,
    launchTemplate: null,
    mixedInstancesPolicy: null,
    buildInfo: null,
    vpcId: null,
    scalingPolicies: null,
    scheduledActions: null,
    targetGroups: null,
    extra: {},
  };
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'name' || key === 'region' || key === 'vpcId') sg[key] = castString(value);
    else if (SERVER_GROUP_MAPS.has(key))
      (sg as unknown as Record<string, unknown>)[key] = castMap(value, key);
    else if (SERVER_GROUP_LISTS.has(key)) {
      const list = castList(value, key);
      if (key !== 'health') (sg as unknown as Record<string, unknown>)[key] = list;
    } else if (key === 'instances') {
      // Declared Set<Instance>: the ASG's instance maps, replaced by the provider afterwards.
      castList(value, key);
    } else if (key === 'mixedInstancesPolicy') {
      throw new ClouddriverException('GroovyCastException', 'mixedInstancesPolicy is not a settings object');
    } else sg.extra[key] = value;
  }
  return sg;
}

/** `isDisabled()`: `asg.suspendedProcesses.collect { it.processName }.contains('AddToLoadBalancer')`. */
export function isDisabled(sg: AmazonServerGroup): boolean {
  if (!truthy(sg.asg)) return false;
  const processes = castList(sg.asg!.suspendedProcesses, 'asg.suspendedProcesses');
  if (processes === null) {
    throw new ClouddriverException('NullPointerException', `${sg.name}: asg.suspendedProcesses is null`);
  }
  return processes.map((p) => (isMap(p) ? p.processName : undefined)).includes('AddToLoadBalancer');
}

/** `getCreatedTime()`: `(Long) asg.createdTime`. */
export function createdTime(sg: AmazonServerGroup): number | null {
  if (!truthy(sg.asg)) return null;
  return castLong(sg.asg!.createdTime, 'asg.createdTime');
}

/** `getCapacity()`: min/max/desired of the ASG, 0 when falsy, null without an ASG. */
export function capacity(sg: AmazonServerGroup): { min: number; max: number; desired: number } | null {
  if (!truthy(sg.asg)) return null;
  const asInteger = (v: unknown) => (truthy(v) ? Math.trunc(Number(v)) : 0);
  return {
    min: asInteger(sg.asg!.minSize),
    max: asInteger(sg.asg!.maxSize),
    desired: asInteger(sg.asg!.desiredCapacity),
  };
}

/** `getLaunchTemplateSpecification()`: the ASG's launch template, or its MIP's (NPE without one). */
export function launchTemplateSpecification(sg: AmazonServerGroup): Record<string, unknown> | null {
  if (truthy(sg.asg?.launchTemplate)) return castMap(sg.asg!.launchTemplate, 'asg.launchTemplate');
  if (truthy(sg.asg?.mixedInstancesPolicy)) {
    const mip = castMap(sg.asg!.mixedInstancesPolicy, 'asg.mixedInstancesPolicy')!;
    if (!isMap(mip.launchTemplate)) {
      throw new ClouddriverException(
        'NullPointerException',
        'asg.mixedInstancesPolicy.launchTemplate is null',
      );
    }
    return castMap(mip.launchTemplate.launchTemplateSpecification, 'launchTemplateSpecification');
  }
  return null;
}

/** `getInstanceType()`. */
export function instanceType(sg: AmazonServerGroup): string | null {
  if (truthy(sg.launchConfig)) return castString(sg.launchConfig!.instanceType);
  if (truthy(sg.launchTemplate)) {
    const data = sg.launchTemplate!.launchTemplateData;
    if (!isMap(data))
      throw new ClouddriverException('NullPointerException', 'launchTemplate.launchTemplateData');
    return castString(data.instanceType);
  }
  return null;
}

/** `getLoadBalancers()`: `asg.loadBalancerNames` as a Set. */
export function loadBalancerNames(sg: AmazonServerGroup): string[] {
  if (sg.asg === null || !truthy(sg.asg) || !('loadBalancerNames' in sg.asg)) return [];
  return [...new Set((castList(sg.asg.loadBalancerNames, 'asg.loadBalancerNames') ?? []).map(text))];
}

/**
 * `getSecurityGroups()`: the launch config's, or the launch template data's `securityGroupIds`,
 * else the groups of its network interface 0. (Groovy coerces the template data into a
 * `RequestLaunchTemplateData` on the way; that coercion is not replayed.)
 */
export function securityGroupsOf(sg: AmazonServerGroup): string[] {
  let groups: unknown[] = [];
  if (sg.launchConfig !== null && truthy(sg.launchConfig) && 'securityGroups' in sg.launchConfig) {
    groups = castList(sg.launchConfig.securityGroups, 'launchConfig.securityGroups') ?? [];
  }
  const mipTemplates = castList(sg.mixedInstancesPolicy?.launchTemplates, 'launchTemplates');
  const data = truthy(sg.launchTemplate)
    ? sg.launchTemplate!.launchTemplateData
    : truthy(sg.mixedInstancesPolicy)
      ? (mipTemplates?.[0] as Record<string, unknown> | undefined)?.launchTemplateData
      : undefined;
  if (truthy(data)) {
    const templateData = castMap(data, 'launchTemplateData')!;
    const ids = castList(templateData.securityGroupIds, 'securityGroupIds') ?? [];
    if (ids.length > 0) groups = ids;
    else {
      const interfaces = castList(templateData.networkInterfaces, 'networkInterfaces') ?? [];
      const first = interfaces.find((i) => isMap(i) && i.deviceIndex === 0) as
        Record<string, unknown> | undefined;
      groups = castList(first?.groups, 'groups') ?? [];
    }
  }
  return [...new Set(groups.map(text))];
}

/** `getInstanceCounts()`. */
export function instanceCounts(sg: AmazonServerGroup, now = Date.now()) {
  const states = sg.instances.map((i) => healthState(i, now));
  const count = (s: HealthState) => states.filter((x) => x === s).length;
  return {
    total: states.length,
    up: count('Up'),
    down: count('Down'),
    unknown: count('Unknown'),
    starting: count('Starting'),
    outOfService: count('OutOfService'),
  };
}

/** The server group as Jackson writes it (every getter evaluated, extra attributes flattened). */
export function serverGroupJson(sg: AmazonServerGroup, now = Date.now()): Record<string, unknown> {
  const properties = {
    name: sg.name,
    region: sg.region,
    zones: sg.zones === null ? null : [...new Set(sg.zones)],
    instances: sg.instances.map((i) => instanceJson(i, now)),
    image: sg.image,
    launchConfig: sg.launchConfig,
    launchTemplate: sg.launchTemplate,
    mixedInstancesPolicy: sg.mixedInstancesPolicy,
    asg: sg.asg,
    scalingPolicies: sg.scalingPolicies,
    scheduledActions: sg.scheduledActions,
    buildInfo: sg.buildInfo,
    vpcId: sg.vpcId,
    type: 'aws',
    cloudProvider: 'aws',
    targetGroups: sg.targetGroups,
    disabled: isDisabled(sg),
    createdTime: createdTime(sg),
    loadBalancers: loadBalancerNames(sg),
    securityGroups: securityGroupsOf(sg),
    instanceType: instanceType(sg),
    instanceCounts: instanceCounts(sg, now),
    capacity: capacity(sg),
    imageSummary: { serverGroupName: sg.name, imageName: sg.image?.name, imageId: sg.image?.imageId },
  };
  return withExtraAttributes(properties, sg.extra);
}

// ---- AmazonClusterProvider --------------------------------------------------------------------

export interface AmazonCluster {
  name: string | null;
  accountName: string | null;
  /** null when the cluster row has no such relationship (the controllers then throw an NPE). */
  serverGroups: AmazonServerGroup[] | null;
  loadBalancers: { name: string | null; account: string | null; region: string | null }[] | null;
  targetGroups: { name: string | null; account: string | null; region: string | null }[] | null;
}

/** `ClusterController.ClusterViewModel.from` / `ApplicationsController.transform`: NPE on a null list. */
export function clusterJson(cluster: AmazonCluster, now = Date.now()): Record<string, unknown> {
  for (const field of ['serverGroups', 'loadBalancers', 'targetGroups'] as const) {
    if (cluster[field] === null) {
      throw new ClouddriverException('NullPointerException', `cluster ${cluster.name}: ${field} is null`);
    }
  }
  return {
    name: cluster.name,
    accountName: cluster.accountName,
    type: 'aws',
    serverGroups: cluster.serverGroups!.map((sg) => serverGroupJson(sg, now)),
    loadBalancers: cluster.loadBalancers,
    targetGroups: cluster.targetGroups,
  };
}

export interface ProviderOptions {
  /** The registered health agents' ids (`awsProvider.healthAgents`). */
  healthAgentIds?: readonly string[];
  now?: () => number;
}

/** clouddriver-aws `provider/view/AmazonClusterProvider.groovy`. */
export class AmazonClusterProvider {
  private readonly healthAgentIds: readonly string[];

  constructor(
    private readonly cache: ClouddriverReader,
    options: ProviderOptions = {},
  ) {
    this.healthAgentIds = options.healthAgentIds ?? Object.values(HEALTH_AGENT_IDS);
  }

  /** Single mode (80-125): `GET /serverGroups/{account}/{region}/{name}`, Orca's read. */
  async getServerGroup(
    account: string,
    region: string,
    name: string,
    includeDetails = true,
  ): Promise<AmazonServerGroup | null> {
    const data = await this.cache.get('serverGroups', Keys.serverGroup(name, account, region));
    if (data === null) return null;
    const asg = data.attributes.asg;
    const serverGroup = newAmazonServerGroup(data.attributes);
    const byId = new Map([[data.id, serverGroup]]);
    let imageId: string | null = null;
    const spec = launchTemplateSpecification(serverGroup);
    if (truthy(spec)) {
      const lt = await this.cache.get(
        'launchTemplates',
        Keys.launchTemplate(String(spec!.launchTemplateName), account, region),
      );
      updateServerGroupLaunchSettings(byId, [lt]);
      const latest = lt?.attributes.latestVersion;
      const ltData = isMap(latest) ? latest.launchTemplateData : undefined;
      imageId = isMap(ltData) ? castString(ltData.imageId) : null;
    } else {
      const lc = await this.cache.get(
        'launchConfigs',
        Keys.launchConfig(castString(data.attributes.launchConfigName), account, region),
      );
      updateServerGroupLaunchSettings(byId, [lc]);
      imageId = castString(lc?.attributes.imageId);
    }
    const image = imageId ? await this.cache.get('images', Keys.image(imageId, account, region)) : null;
    serverGroup.image = image ? image.attributes : null;
    serverGroup.buildInfo = image ? buildInfoFromImage(image) : null;
    serverGroup.extra.accountName = account;
    if (includeDetails) {
      const asgInstances = asgInstanceKeys(asg, account, region);
      const related = rel(data, 'instances')?.filter((k) => k !== null && asgInstances.has(k));
      const instances = truthy(related) ? await this.cache.getAll('instances', related, none()) : [];
      serverGroup.instances = [...(await this.translateInstances(instances)).values()];
    } else {
      serverGroup.instances = [];
    }
    return serverGroup;
  }

  /** `getCluster(application, account, name, includeDetails)` (501-509): details or summary mode. */
  async getCluster(
    application: string,
    account: string,
    name: string,
    includeDetails = true,
  ): Promise<AmazonCluster | null> {
    const cluster = await this.cache.get('clusters', Keys.cluster(name, application, account));
    return cluster === null ? null : (await this.translateClusters([cluster], includeDetails))[0];
  }

  /** `getClusterSummaries(application)`: summary mode over the application's clusters. */
  async getClusterSummaries(application: string): Promise<AmazonCluster[] | null> {
    const keys = await this.cache.filterIdentifiers('clusters', Keys.cluster('*', application, '*'));
    const clusters = await this.translateClusters(await this.cache.getAll('clusters', keys), false);
    return clusters.length > 0 ? clusters : null;
  }

  /** `getClusterDetails(application)`: app mode, as SQL supports getAllByApplication (`GET /applications/{app}/serverGroups`). */
  async getClusterDetails(application: string): Promise<AmazonCluster[] | null> {
    const clusters = await this.allClustersByApplication(application);
    return clusters.length > 0 ? clusters : null;
  }

  /** `allClustersByApplication` (167-225). */
  private async allClustersByApplication(application: string): Promise<AmazonCluster[]> {
    const results = await this.cache.getAllByApplication(
      ['clusters', 'serverGroups', 'launchConfigs', 'instances', 'launchTemplates'],
      application,
      {
        serverGroups: include('instances', 'launchConfigs', 'launchTemplates'),
        launchConfigs: include('images', 'serverGroups'),
        launchTemplates: include('images', 'serverGroups'),
        instances: include('serverGroups'),
      },
    );
    const loadBalancers = await this.resolveForCollection(results.clusters, 'loadBalancers', none());
    const targetGroups = await this.resolveForCollection(results.clusters, 'targetGroups', none());
    const images = [
      ...(await this.resolveForCollection(results.launchConfigs, 'images', none())),
      ...(await this.resolveForCollection(results.launchTemplates, 'images', none())),
    ];
    const lbs = translateBalancers(loadBalancers, 'loadBalancer');
    const tgs = translateBalancers(targetGroups, 'loadBalancer');
    const serverGroups = await this.translateServerGroupsByApp(
      results.serverGroups,
      results.instances,
      results.launchConfigs,
      results.launchTemplates,
      images,
    );
    return results.clusters.map((data) => {
      const key = Keys.parse(data.id);
      return {
        name: key?.cluster ?? null,
        accountName: key?.account ?? null,
        serverGroups: findResults(rel(data, 'serverGroups'), (k) => serverGroups.get(k)),
        loadBalancers: findResults(rel(data, 'loadBalancers'), (k) => lbs.get(k)),
        targetGroups: findResults(rel(data, 'targetGroups'), (k) => tgs.get(k)),
      };
    });
  }

  /** `translateClusters` (227-272). */
  private async translateClusters(
    clusterData: CacheData[],
    includeDetails: boolean,
  ): Promise<AmazonCluster[]> {
    let serverGroups: Map<string, AmazonServerGroup>;
    let lbs = new Map<string, { name: string | null; account: string | null; region: string | null }>();
    let tgs = new Map<string, { name: string | null; account: string | null; region: string | null }>();
    if (includeDetails) {
      lbs = translateBalancers(await this.resolveForCollection(clusterData, 'loadBalancers'), 'loadBalancer');
      tgs = translateBalancers(await this.resolveForCollection(clusterData, 'targetGroups'), 'loadBalancer');
      const all = await this.resolveForCollection(
        clusterData,
        'serverGroups',
        include('instances', 'launchConfigs', 'launchTemplates'),
      );
      serverGroups = await this.translateServerGroups(all, false);
    } else {
      serverGroups = await this.translateServerGroups(
        await this.resolveForCollection(clusterData, 'serverGroups', none()),
        true,
      );
    }
    const fromKey = (k: string) => {
      const parts = Keys.parse(k);
      return {
        name: parts?.loadBalancer ?? null,
        account: parts?.account ?? null,
        region: parts?.region ?? null,
      };
    };
    return clusterData.map((data) => {
      const key = Keys.parse(data.id);
      return {
        name: key?.cluster ?? null,
        accountName: key?.account ?? null,
        serverGroups: findResults(rel(data, 'serverGroups'), (k) => serverGroups.get(k)),
        loadBalancers: includeDetails
          ? findResults(rel(data, 'loadBalancers'), (k) => lbs.get(k))
          : (rel(data, 'loadBalancers')?.map((k) => fromKey(String(k))) ?? null),
        targetGroups: includeDetails
          ? findResults(rel(data, 'targetGroups'), (k) => tgs.get(k))
          : (rel(data, 'targetGroups')?.map((k) => fromKey(String(k))) ?? null),
      };
    });
  }

  /** The 5-argument `translateServerGroups` of app mode (292-326). */
  private async translateServerGroupsByApp(
    serverGroupData: CacheData[],
    instanceData: CacheData[],
    launchConfigData: CacheData[],
    launchTemplateData: CacheData[],
    imageData: CacheData[],
  ): Promise<Map<string, AmazonServerGroup>> {
    const instances = await this.translateInstances(instanceData);
    const serverGroups = new Map<string, AmazonServerGroup>();
    for (const data of serverGroupData) {
      const parsed = Keys.parse(data.id);
      const serverGroup = newAmazonServerGroup(data.attributes);
      const keys = asgInstanceKeys(serverGroup.asg, parsed?.account ?? null, parsed?.region ?? null);
      serverGroup.instances = [...keys].filter((k) => instances.has(k)).map((k) => instances.get(k)!);
      serverGroups.set(data.id, serverGroup);
    }
    updateServerGroupLaunchSettings(serverGroups, launchTemplateData);
    updateServerGroupLaunchSettings(serverGroups, launchConfigData);
    updateServerGroupBuildInfo(serverGroups, launchTemplateData, imageData);
    updateServerGroupBuildInfo(serverGroups, launchConfigData, imageData);
    return serverGroups;
  }

  /** The 2-argument `translateServerGroups` of details and summary mode (328-417). */
  private async translateServerGroups(
    serverGroupData: CacheData[],
    includePartialInstances: boolean,
  ): Promise<Map<string, AmazonServerGroup>> {
    const instances = await this.translateInstances(
      await this.resolveForCollection(serverGroupData, 'instances', none()),
    );
    const serverGroups = new Map<string, AmazonServerGroup>();
    for (const data of serverGroupData) {
      const key = Keys.parse(data.id);
      const serverGroup = newAmazonServerGroup(data.attributes);
      const asgKeys = asgInstanceKeys(data.attributes.asg, key?.account ?? null, key?.region ?? null);
      serverGroup.instances =
        findResults(rel(data, 'instances'), (k) => (asgKeys.has(k) ? instances.get(k) : undefined)) ?? [];
      if (
        includePartialInstances &&
        serverGroup.instances.length === 0 &&
        truthy(data.attributes.instances)
      ) {
        serverGroup.instances = (castList(data.attributes.instances, 'instances') ?? [])
          .filter((i) => isMap(i) && i.lifecycleState === 'InService')
          .map((i) =>
            newAmazonInstance({
              ...(i as Record<string, unknown>),
              name: (i as { instanceId?: unknown }).instanceId,
            }),
          );
      }
      serverGroups.set(data.id, serverGroup);
    }
    // A `[null]` relationship (the unused one of launchConfigs / launchTemplates) is truthy in
    // Groovy: its null key is looked up too (`ID in (NULL)`, nothing).
    const launchConfigs = new Map<string | null, string>();
    const templates = new Map<string | null, string>();
    for (const data of serverGroupData) {
      const lc = rel(data, 'launchConfigs');
      if (truthy(lc)) launchConfigs.set(lc![0], data.id);
      const lt = rel(data, 'launchTemplates');
      if (truthy(lt)) templates.set(lt![0], data.id);
    }
    const allImages = new Map<string, string[]>();
    const addImage = (imageId: string | null | undefined, serverGroupId: string) => {
      if (!imageId) return;
      const list = allImages.get(imageId) ?? [];
      list.push(serverGroupId);
      allImages.set(imageId, list);
    };
    for (const lc of await this.cache.getAll('launchConfigs', launchConfigs.keys())) {
      const serverGroupId = launchConfigs.get(lc.id)!;
      serverGroups.get(serverGroupId)!.launchConfig = lc.attributes;
      addImage(rel(lc, 'images')?.[0], serverGroupId);
    }
    for (const lt of await this.cache.getAll('launchTemplates', templates.keys())) {
      const serverGroupId = templates.get(lt.id)!;
      populateServerGroupWithLtOrMip(serverGroups.get(serverGroupId)!, lt);
      addImage(rel(lt, 'images')?.[0], serverGroupId);
    }
    for (const image of await this.cache.getAll('images', allImages.keys())) {
      for (const serverGroupId of allImages.get(image.id) ?? []) {
        const serverGroup = serverGroups.get(serverGroupId)!;
        serverGroup.image = image.attributes;
        serverGroup.buildInfo = buildInfoFromImage(image);
      }
    }
    return serverGroups;
  }

  /** `translateInstances` + `addHealthToInstances` (419-457). */
  async translateInstances(instanceData: CacheData[]): Promise<Map<string, AmazonInstance>> {
    const { instances, healths, instanceOf } = await instancesWithHealth(
      this.cache,
      instanceData,
      this.healthAgentIds,
    );
    for (const health of healths) {
      const instance = instanceOf(health);
      if (instance.health === null) {
        throw new ClouddriverException('NullPointerException', `${instance.name}: health is null`);
      }
      instance.health.push(health.attributes);
    }
    for (const instance of instances.values()) {
      const states = (instance.health ?? []).map((h) => (isMap(h) ? h.state : undefined));
      instance.isHealthy = states.includes('Up') && states.every((s) => s === 'Up' || s === 'Unknown');
    }
    return instances;
  }

  /** `resolveRelationshipDataForCollection`. */
  private async resolveForCollection(
    sources: CacheData[] | undefined,
    relationship: string,
    filter: CacheFilter | null = null,
  ): Promise<CacheData[]> {
    const keys = (sources ?? []).flatMap((s) => rel(s, relationship) ?? []);
    return keys.length > 0 ? this.cache.getAll(relationship, keys, filter) : [];
  }
}

/** Groovy `list?.findResults { f(it) }`: null for a null list, nulls dropped. */
function findResults<T>(keys: (string | null)[] | undefined, f: (key: string) => T | undefined): T[] | null {
  if (keys === undefined || keys === null) return null;
  return keys.flatMap((k) => {
    const found = k === null ? undefined : f(k);
    return found === undefined || found === null ? [] : [found];
  });
}

function translateBalancers(data: CacheData[], nameField: string) {
  return new Map(
    data.map((d) => {
      const key = Keys.parse(d.id);
      return [
        d.id,
        { name: key?.[nameField] ?? null, account: key?.account ?? null, region: key?.region ?? null },
      ];
    }),
  );
}

/** `getAsgInstanceKeys`: keys of `asg.instances[].instanceId` (an empty set without them). */
function asgInstanceKeys(asg: unknown, account: string | null, region: string | null): Set<string> {
  const instances = isMap(asg) ? castList(asg.instances, 'asg.instances') : null;
  const out = new Set<string>();
  for (const instance of instances ?? []) {
    if (!isMap(instance)) {
      throw new ClouddriverException('GroovyCastException', 'asg.instances holds a non-map');
    }
    out.add(`aws:instances:${account}:${region}:${text(instance.instanceId)}`);
  }
  return out;
}

/** `updateServerGroupLaunchSettings` (557-572): only server groups the row's `serverGroups` names. */
function updateServerGroupLaunchSettings(
  serverGroups: Map<string, AmazonServerGroup>,
  launchData: readonly (CacheData | null)[],
): void {
  for (const ld of launchData) {
    if (!ld?.relationships || !('serverGroups' in ld.relationships)) continue;
    for (const key of ld.relationships.serverGroups ?? []) {
      const serverGroup = key === null ? undefined : serverGroups.get(key);
      if (serverGroup === undefined) continue;
      if (truthy(launchTemplateSpecification(serverGroup))) populateServerGroupWithLtOrMip(serverGroup, ld);
      else serverGroup.launchConfig = ld.attributes;
    }
  }
}

/** `getLaunchTemplateForVersion` (532-552). */
function launchTemplateForVersion(lt: CacheData, version: string): Record<string, unknown> | null {
  const versions = castList(lt.attributes.versions, 'versions') ?? [];
  if (version === '$Latest') return castMap(lt.attributes.latestVersion, 'latestVersion');
  if (version === '$Default') {
    return (versions.find((v) => isMap(v) && truthy(v.defaultVersion)) as Record<string, unknown>) ?? null;
  }
  if (!/^[+-]?\d+$/.test(version)) {
    throw new ClouddriverException('NumberFormatException', `launch template version ${version}`);
  }
  const number = Number(version);
  return (versions.find((v) => isMap(v) && v.versionNumber === number) as Record<string, unknown>) ?? null;
}

/** `populateServerGroupWithLtOrMip` (577-620). */
function populateServerGroupWithLtOrMip(serverGroup: AmazonServerGroup, lt: CacheData): void {
  const spec = launchTemplateSpecification(serverGroup);
  const version = truthy(spec?.version) ? String(spec!.version) : '$Latest';
  const ec2Lt = launchTemplateForVersion(lt, version);
  if (!truthy(ec2Lt)) return;
  if (truthy(serverGroup.asg?.launchTemplate)) {
    serverGroup.launchTemplate = ec2Lt;
  } else if (truthy(serverGroup.asg?.mixedInstancesPolicy)) {
    const mip = serverGroup.asg!.mixedInstancesPolicy as Record<string, Record<string, unknown>>;
    const overrides = castList(mip.launchTemplate.overrides, 'overrides');
    const data = castMap(ec2Lt!.launchTemplateData, 'launchTemplateData') ?? {};
    serverGroup.mixedInstancesPolicy = truthy(overrides)
      ? {
          allowedInstanceTypes: overrides!.map((o) => (o as Record<string, unknown>).instanceType).sort(),
          instancesDistribution: mip.instancesDistribution,
          launchTemplates: [
            {
              ...ec2Lt,
              launchTemplateData: Object.fromEntries(
                Object.entries(data).filter(([k]) => k !== 'instanceType'),
              ),
            },
          ],
          launchTemplateOverridesForInstanceType: overrides,
        }
      : {
          allowedInstanceTypes: [data.instanceType],
          instancesDistribution: mip.instancesDistribution,
          launchTemplates: [ec2Lt],
        };
  }
}

/** `updateServerGroupBuildInfo` (625-641): image and build info for the first related server group. */
function updateServerGroupBuildInfo(
  serverGroups: Map<string, AmazonServerGroup>,
  launchData: CacheData[],
  imageData: CacheData[],
): void {
  const images = new Map(imageData.map((i) => [i.id, i]));
  for (const ld of launchData) {
    if (!ld?.relationships || !('serverGroups' in ld.relationships)) continue;
    const first = ld.relationships.serverGroups?.[0];
    const serverGroup = first ? serverGroups.get(first) : undefined;
    const imageId = ld.relationships.images?.[0];
    if (serverGroup && imageId && images.has(imageId)) {
      serverGroup.image = images.get(imageId)!.attributes;
      serverGroup.buildInfo = buildInfoFromImage(images.get(imageId)!);
    }
  }
}

/** `getBuildInfoFromImage` (469-492), reduced to what the replay needs: the `appversion` tag's presence. */
function buildInfoFromImage(image: CacheData): Record<string, unknown> | null {
  const tags = castList(image.attributes.tags, 'image.tags') ?? [];
  const appVersion = tags.find((t) => isMap(t) && t.key === 'appversion') as
    Record<string, unknown> | undefined;
  return appVersion ? { appversion: appVersion.value } : null;
}

/**
 * The instances of `translateInstances` (CP 419-428, LBP 270-279: `new AmazonInstance(attributes)`
 * named by `attributes.instanceId.toString()`) and their health rows: keys
 * `aws:health:{instanceId}:{account}:{region}:{healthId}` for each health agent id, read with
 * `getAll(health, keys, none())`.
 */
async function instancesWithHealth(
  cache: ClouddriverReader,
  instanceData: CacheData[],
  healthAgentIds: readonly string[],
) {
  const instances = new Map<string, AmazonInstance>();
  const healthKeys = new Map<string, string>();
  for (const data of instanceData) {
    const instance = newAmazonInstance(data.attributes);
    if (data.attributes.instanceId === null || data.attributes.instanceId === undefined) {
      throw new ClouddriverException('NullPointerException', `${data.id}: attributes.instanceId is null`);
    }
    instance.name = text(data.attributes.instanceId);
    instances.set(data.id, instance);
    const key = Keys.parse(data.id)!;
    for (const healthId of healthAgentIds) {
      healthKeys.set(Keys.health(key.instanceId!, key.account!, key.region!, healthId), data.id);
    }
  }
  const healths = healthKeys.size > 0 ? await cache.getAll('health', healthKeys.keys(), none()) : [];
  return {
    instances,
    healths,
    instanceOf: (health: CacheData) => instances.get(healthKeys.get(health.id)!)!,
  };
}

// ---- AmazonInstanceProvider -------------------------------------------------------------------

/** clouddriver-aws `provider/view/AmazonInstanceProvider.groovy` `getInstance` (55-84). */
export async function getInstance(
  cache: ClouddriverReader,
  account: string,
  region: string,
  id: string,
): Promise<AmazonInstance | null> {
  const entry = await cache.get('instances', Keys.instance(id, account, region));
  if (entry === null) return null;
  const instance = newAmazonInstance(entry.attributes);
  instance.name = id;
  const serverGroups = rel(entry, 'serverGroups');
  if (truthy(serverGroups)) {
    const parsed = Keys.parse(String(serverGroups![0]));
    instance.extra.serverGroup = parsed?.serverGroup;
    instance.extra.cluster = parsed?.cluster;
  }
  const healthKeys = [...new Set((rel(entry, 'health') ?? []).filter((k): k is string => k !== null))];
  for (const key of healthKeys) {
    const found = await cache.getAll('health', [key]);
    if (instance.health === null) throw new ClouddriverException('NullPointerException', 'health is null');
    instance.health.push(...found.map((h) => h.attributes));
  }
  return instance;
}

// ---- AmazonLoadBalancerProvider ---------------------------------------------------------------

/** `byAccountAndRegionAndName` (348-369): the raw attributes, with `targetGroups` attributes. */
export async function loadBalancersByAccountAndRegionAndName(
  cache: ClouddriverReader,
  account: string,
  region: string,
  name: string,
): Promise<Record<string, unknown>[]> {
  const ids = (
    await cache.filterIdentifiers('loadBalancers', `${Keys.loadBalancer(name, account, region, null, null)}*`)
  ).filter((k) => Keys.parse(k)?.loadBalancer === name);
  const out: Record<string, unknown>[] = [];
  for (const data of await cache.getAll('loadBalancers', ids)) {
    const lb = data.attributes;
    lb.targetGroups = [];
    const tgKeys = rel(data, 'targetGroups');
    if (truthy(tgKeys))
      lb.targetGroups = (await cache.getAll('targetGroups', tgKeys)).map((t) => t.attributes);
    out.push(lb);
  }
  return out;
}

export interface LoadBalancerServerGroup {
  name: string | null;
  isDisabled: boolean;
  instances: { id: string | null; zone: string | null; health: Record<string, unknown> }[];
  detachedInstances: unknown;
}

export interface AmazonLoadBalancerView {
  name: string | null;
  account: string | null;
  region: string | null;
  vpcId: string | null;
  attributes: Record<string, unknown>;
  serverGroups: LoadBalancerServerGroup[];
  targetGroups: AmazonTargetGroupView[];
}

export interface AmazonTargetGroupView {
  name: string | null;
  account: string | null;
  region: string | null;
  vpcId: string | null;
  attributes: Record<string, unknown>;
  serverGroups: LoadBalancerServerGroup[];
}

/** `getApplicationLoadBalancers(application)` (73-184) with its translations (186-323). */
export async function getApplicationLoadBalancers(
  cache: ClouddriverReader,
  application: string,
  healthAgentIds: readonly string[] = Object.values(HEALTH_AGENT_IDS),
): Promise<AmazonLoadBalancerView[]> {
  const lbKeys = new Set<string>();
  const tgKeys = new Set<string>();
  const app = await cache.get('applications', Keys.application(application));
  const resolve = async (source: CacheData, type: string, filter: CacheFilter | null) => {
    const keys = rel(source, type);
    return truthy(keys) ? cache.getAll(type, keys, filter) : [];
  };
  const resolveAll = async (sources: CacheData[], type: string, filter: CacheFilter | null) => {
    const keys = [...new Set(sources.flatMap((s) => rel(s, type) ?? []))];
    return keys.length > 0 ? cache.getAll(type, keys, filter) : [];
  };
  const appServerGroups = app
    ? await resolve(app, 'serverGroups', include('instances', 'loadBalancers', 'targetGroups'))
    : [];
  const allLbKeys = await cache.getIdentifiers('loadBalancers');
  const allTgKeys = await cache.getIdentifiers('targetGroups');
  const withVpcVariants = (keys: Set<string>, all: string[], key: string) => {
    keys.add(key);
    for (const k of all) if (k.startsWith(`${key}:vpc-`)) keys.add(k);
  };
  for (const sg of appServerGroups) {
    for (const k of rel(sg, 'loadBalancers') ?? []) if (k !== null) withVpcVariants(lbKeys, allLbKeys, k);
    for (const k of rel(sg, 'targetGroups') ?? []) if (k !== null) withVpcVariants(tgKeys, allTgKeys, k);
  }
  const matcher = new RegExp(`^aws:[^:]*:[^:]*:[^:]*:${application}(-[^:]*)?:.*$`, 's');
  for (const k of allLbKeys) if (matcher.test(k)) lbKeys.add(k);
  for (const k of allTgKeys) if (matcher.test(k)) tgKeys.add(k);
  const tgData = tgKeys.size > 0 ? await cache.getAll('targetGroups', tgKeys, include('loadBalancers')) : [];
  for (const tg of tgData) {
    for (const k of rel(tg, 'loadBalancers') ?? []) {
      if (k === null) continue;
      lbKeys.add(k);
      for (const t of allTgKeys) if (t.startsWith(`${k}:vpc-`)) tgKeys.add(t);
    }
  }
  const lbData =
    lbKeys.size > 0
      ? await cache.getAll('loadBalancers', lbKeys, include('targetGroups', 'serverGroups', 'instances'))
      : [];
  const lbServerGroupData = await resolveAll(lbData, 'serverGroups', include('instances'));
  const lbInstances = await lbTranslateInstances(
    cache,
    await resolveAll(lbServerGroupData, 'instances', none()),
    healthAgentIds,
  );
  const lbServerGroups = lbTranslateServerGroups(lbServerGroupData, lbInstances);

  const targetGroupData = await resolveAll(lbData, 'targetGroups', include('serverGroups', 'instances'));
  const tgServerGroupData = await resolveAll(targetGroupData, 'serverGroups', include('instances'));
  const tgInstances = await lbTranslateInstances(
    cache,
    await resolveAll(tgServerGroupData, 'instances', none()),
    healthAgentIds,
  );
  const tgServerGroups = lbTranslateServerGroups(tgServerGroupData, tgInstances);
  const targetGroups = new Map<string, AmazonTargetGroupView>();
  for (const data of targetGroupData) {
    targetGroups.set(
      data.id,
      balancerView(data, Keys.parse(data.id)?.targetGroup, tgServerGroups, 'targetGroupName'),
    );
  }
  const allServerGroups = new Map([...lbServerGroups, ...tgServerGroups]);
  return lbData.map((data) => ({
    ...balancerView(data, Keys.parse(data.id)?.loadBalancer, allServerGroups, 'loadBalancerName'),
    targetGroups: findResults(rel(data, 'targetGroups'), (k) => targetGroups.get(k)) ?? [],
  }));
}

/**
 * `new AmazonLoadBalancer(attributes)` / `new AmazonTargetGroup(attributes)` with name, region,
 * account and VPC from the key, and the related server groups (`relationships.serverGroups`), each
 * instance with the flattened health entry whose `healthKey` names this balancer.
 */
function balancerView(
  data: CacheData,
  name: string | null | undefined,
  serverGroups: Map<string, AmazonServerGroup & { detachedInstances?: unknown }>,
  healthKey: 'loadBalancerName' | 'targetGroupName',
): AmazonTargetGroupView {
  const key = Keys.parse(data.id);
  return {
    name: name ?? null,
    region: key?.region ?? null,
    account: key?.account ?? null,
    vpcId: key?.vpcId ?? null,
    attributes: data.attributes,
    serverGroups: (findResults(rel(data, 'serverGroups'), (k) => serverGroups.get(k)) ?? []).map((sg) =>
      loadBalancerServerGroup(sg, healthKey, name ?? null),
    ),
  };
}

function lbTranslateServerGroups(data: CacheData[], instances: Map<string, AmazonInstance>) {
  const out = new Map<string, AmazonServerGroup & { detachedInstances: unknown }>();
  for (const entry of data) {
    const key = Keys.parse(entry.id);
    const sg = newAmazonServerGroup({ name: key?.serverGroup, region: key?.region });
    sg.instances = findResults(rel(entry, 'instances'), (k) => instances.get(k)) ?? [];
    sg.asg = castMap(entry.attributes.asg, 'asg');
    const detached = findResults(rel(entry, 'instances'), (k) =>
      instances.has(k) ? undefined : Keys.parse(k)?.instanceId,
    );
    out.set(entry.id, { ...sg, detachedInstances: detached });
  }
  return out;
}

function loadBalancerServerGroup(
  sg: AmazonServerGroup & { detachedInstances?: unknown },
  healthKey: string,
  name: string | null,
): LoadBalancerServerGroup {
  return {
    name: sg.name,
    isDisabled: isDisabled(sg),
    instances: sg.instances.map((instance) => {
      const health = instance.health.find((h) => isMap(h) && h[healthKey] === name) ?? {};
      return {
        id: instance.name,
        zone: zoneOf(instance),
        health: {
          type: health.type,
          state: health.state,
          reasonCode: health.reasonCode,
          description: health.description,
        },
      };
    }),
    detachedInstances: sg.detachedInstances ?? null,
  };
}

/** LBP's `translateInstances` + `addHealthToInstances` (270-323): flattened LB / TG entries. */
async function lbTranslateInstances(
  cache: ClouddriverReader,
  instanceData: CacheData[],
  healthAgentIds: readonly string[],
): Promise<Map<string, AmazonInstance>> {
  const loadBalancing = healthAgentIds.filter((h) => h.includes('load-balancer'));
  const { instances, healths, instanceOf } = await instancesWithHealth(cache, instanceData, loadBalancing);
  for (const health of healths) {
    const instance = instanceOf(health);
    const a = health.attributes;
    if (a.type === 'LoadBalancer' && truthy(a.loadBalancers)) {
      for (const lb of castList(a.loadBalancers, 'loadBalancers') as Record<string, unknown>[]) {
        instance.health.push({
          loadBalancerName: lb.loadBalancerName,
          state: lb.state,
          reasonCode: lb.reasonCode,
          description: lb.description,
        });
      }
    }
    if (a.type === 'TargetGroup' && truthy(a.targetGroups)) {
      for (const tg of castList(a.targetGroups, 'targetGroups') as Record<string, unknown>[]) {
        instance.health.push({
          targetGroupName: tg.targetGroupName,
          state: tg.state,
          reasonCode: tg.reason,
          description: tg.description,
        });
      }
    }
  }
  return instances;
}

// ---- Jackson convertValue into AWS SDK for Java v1 beans (AmazonObjectMapper) ------------------

/**
 * `amazonObjectMapper.convertValue(attributes, <v1 class>)`, for the EC2 shapes the network
 * providers read: properties by the v1 getter names (AmazonObjectMapper keeps two leading capitals),
 * values coerced as Jackson does (a number or boolean into a String, a numeric String into an
 * Integer), anything else in the wrong shape a MismatchedInputException; unknown properties are
 * ignored. The v1 `IpPermission` names the v3 `IpRanges` `ipv4Ranges` and also has the deprecated
 * `ipRanges`, a list of CIDR strings. List getters return `[]` when absent, as v1 beans do.
 */
export function convertValue(schema: unknown, value: unknown, path = '$'): unknown {
  return convertNode(NormalizedSchema.of(schema as never), value, path);
}

const V1_EXTRA_LISTS: Record<string, Record<string, 'strings'>> = {
  IpPermission: { ipRanges: 'strings' },
};
const V1_RENAMES: Record<string, Record<string, string>> = { IpPermission: { IpRanges: 'ipv4Ranges' } };

function convertNode(schema: NormalizedSchema, value: unknown, path: string): unknown {
  const mismatch = (what: string) =>
    new ClouddriverException(
      'MismatchedInputException',
      `${path}: cannot read ${JSON.stringify(value)} as ${what}`,
    );
  if (schema.isListSchema()) {
    if (value === null || value === undefined) return [];
    if (!Array.isArray(value)) throw mismatch('a list');
    return value.map((v, i) => convertNode(schema.getValueSchema(), v, `${path}[${i}]`));
  }
  if (value === null || value === undefined) return null;
  if (schema.isStructSchema()) {
    if (!isMap(value)) throw mismatch('an object');
    const name = schema.getName() ?? '';
    const out: Record<string, unknown> = {};
    for (const [member, memberSchema] of schema.structIterator()) {
      const v1 = V1_RENAMES[name]?.[member] ?? v1AmazonName(member);
      out[v1] = convertNode(memberSchema, value[v1], `${path}.${v1}`);
    }
    for (const [extra] of Object.entries(V1_EXTRA_LISTS[name] ?? {})) {
      const list = value[extra];
      if (list === null || list === undefined) continue;
      if (!Array.isArray(list) || list.some((s) => isMap(s) || Array.isArray(s))) {
        throw new ClouddriverException('MismatchedInputException', `${path}.${extra}: not a list of strings`);
      }
      // setIpRanges(Collection<String>) replaces ipv4Ranges when it comes later in the JSON.
      const keys = Object.keys(value);
      if (keys.indexOf(extra) > keys.indexOf('ipv4Ranges')) {
        out.ipv4Ranges = list.map((s) => ({ cidrIp: s === null ? null : String(s), description: null }));
      }
    }
    return out;
  }
  if (schema.isMapSchema()) {
    if (!isMap(value)) throw mismatch('a map');
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, convertNode(schema.getValueSchema(), v, `${path}.${k}`)]),
    );
  }
  if (schema.isStringSchema()) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      return String(value);
    throw mismatch('a String');
  }
  if (schema.isNumericSchema()) {
    if (typeof value === 'number') return value;
    if (typeof value === 'string' && /^[+-]?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
    throw mismatch('a number');
  }
  if (schema.isBooleanSchema()) {
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    if (typeof value === 'number') return value !== 0;
    throw mismatch('a Boolean');
  }
  if (schema.isTimestampSchema()) {
    if (typeof value === 'number') return value;
    if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return Date.parse(value);
    throw mismatch('a Date');
  }
  return value;
}

/** AmazonNamingStrategy: a getter with two leading capitals keeps its name, else Jackson's bean name. */
function v1AmazonName(member: string): string {
  return /^[A-Z]{2}/.test(member) ? member : member.charAt(0).toLowerCase() + member.slice(1);
}

// ---- AmazonSecurityGroupProvider, AmazonSubnetProvider, AmazonVpcProvider ----------------------

export interface SecurityGroupRule {
  protocol: unknown;
  range?: { ip: string; cidr: string };
  securityGroup?: { id: unknown; name: unknown; accountName: unknown; region: string | null; vpcId: unknown };
  portRanges: { startPort: unknown; endPort: unknown }[];
  description?: unknown;
}

/** `AmazonSecurityGroupProvider.getAllMatchingKeyPattern` + `fromCacheData` (150-285). */
export async function securityGroups(
  cache: ClouddriverReader,
  pattern: string,
  includeRules: boolean,
  accounts: readonly { name: string; accountId: string }[],
) {
  const ids = await cache.filterIdentifiers('securityGroups', pattern);
  const data = await cache.getAll('securityGroups', ids, none());
  const out = [];
  for (const entry of data) {
    const parts = Keys.parse(entry.id)!;
    const a = entry.attributes;
    const inboundRules: SecurityGroupRule[] = [];
    if (includeRules) {
      const sg = convertValue(SecurityGroup$, a) as { ipPermissions: Record<string, unknown>[] };
      for (const permission of sg.ipPermissions) {
        const port = { startPort: permission.fromPort, endPort: permission.toPort };
        for (const range of [
          ...(permission.ipv6Ranges as Record<string, unknown>[]).map((r) => ({
            cidr: r.cidrIpv6,
            description: r.description,
          })),
          ...(permission.ipv4Ranges as Record<string, unknown>[]).map((r) => ({
            cidr: r.cidrIp,
            description: r.description,
          })),
        ]) {
          const [ip, cidr] = String(range.cidr).split('/');
          inboundRules.push({
            protocol: permission.ipProtocol,
            range: { ip, cidr: `/${cidr}` },
            portRanges: [port],
            description: range.description,
          });
        }
        for (const pair of permission.userIdGroupPairs as Record<string, unknown>[]) {
          const account = accounts.find((c) => c.accountId === pair.userId);
          let name = pair.groupName;
          let vpcId = a.vpcId ?? null;
          if (!name || account?.name !== parts.account) {
            const vpcPattern = account?.name !== parts.account ? '*' : (a.vpcId ?? '*');
            const [match] = await cache.filterIdentifiers(
              'securityGroups',
              Keys.securityGroup(
                '*',
                String(pair.groupId),
                parts.region!,
                account?.name ?? '*',
                text(vpcPattern),
              ),
            );
            if (match) {
              name = Keys.parse(match)!.name;
              vpcId = Keys.parse(match)!.vpcId;
            }
          }
          inboundRules.push({
            protocol: permission.ipProtocol,
            securityGroup: {
              id: pair.groupId,
              name,
              accountName: account?.name ?? null,
              region: parts.region,
              vpcId: pair.vpcId ?? vpcId,
            },
            portRanges: [port],
          });
        }
      }
    }
    out.push({
      id: a.groupId,
      name: a.groupName,
      vpcId: a.vpcId,
      description: a.description,
      accountName: parts.account,
      region: parts.region,
      inboundRules,
      tags: a.tags,
    });
  }
  return out;
}

/** `AmazonSubnetProvider.getAll()` (54-114). */
export async function subnets(cache: ClouddriverReader) {
  const ids = await cache.filterIdentifiers('subnets', Keys.subnet('*', '*', '*'));
  return (await cache.getAll('subnets', ids, none())).map((entry) => {
    const parts = Keys.parse(entry.id)!;
    const subnet = convertValue(Subnet$, entry.attributes) as Record<string, unknown> & {
      tags: { key: string; value: string }[];
    };
    const name = subnet.tags.find((t) => t.key?.toLowerCase() === 'name')?.value;
    const metadata = subnet.tags.find((t) => t.key === 'immutable_metadata')?.value;
    let purpose: string | null = metadata
      ? ((JSON.parse(metadata) as { purpose?: string }).purpose ?? null)
      : null;
    if (name && !purpose && name.split('.').length === 3)
      purpose = `${name.split('.')[1]} (${name.split('.')[0]})`;
    return {
      type: 'aws',
      id: subnet.subnetId,
      state: subnet.state,
      vpcId: subnet.vpcId,
      cidrBlock: subnet.cidrBlock,
      availableIpAddressCount: subnet.availableIpAddressCount,
      account: parts.account,
      accountId: entry.attributes.accountId,
      region: parts.region,
      availabilityZone: subnet.availabilityZone,
      purpose,
      deprecated: subnet.tags.find((t) => t.key === 'is_deprecated')?.value?.toLowerCase() === 'true',
    };
  });
}

/** `AmazonVpcProvider.getAll()` (54-75). */
export async function vpcs(cache: ClouddriverReader) {
  return (await cache.getAll('vpcs', undefined, none())).map((entry) => {
    const parts = Keys.parse(entry.id)!;
    const vpc = convertValue(Vpc$, entry.attributes) as Record<string, unknown> & {
      tags: { key: string; value: string }[];
    };
    return {
      cloudProvider: 'aws',
      id: vpc.vpcId,
      name: vpc.tags.find((t) => t.key === 'Name')?.value ?? null,
      account: parts.account,
      region: parts.region,
      deprecated: vpc.tags.find((t) => t.key === 'is_deprecated')?.value?.toLowerCase() === 'true',
    };
  });
}

// ---- Orca: HealthHelper and WaitForUpInstancesTask --------------------------------------------

const ORCA_STATES = ['Failed', 'Down', 'OutOfService', 'Unknown', 'Starting', 'Succeeded', 'Up', 'Draining'];

/** Orca's `Health.state` (an enum; a name it does not know reads as BAD_VALUE). */
function orcaState(state: unknown): string {
  return typeof state === 'string' && ORCA_STATES.includes(state) ? state : 'BAD_VALUE';
}

/** orca `HealthHelper.someAreUpAndNoneAreDownOrStarting` (127-139), on the instance JSON Clouddriver serves. */
export function someAreUpAndNoneAreDownOrStarting(
  instance: Record<string, unknown>,
  interestingHealthProviderNames: readonly string[] | null = null,
): boolean {
  const all = (castList(instance.health, 'health') ?? []) as Record<string, unknown>[];
  const healths =
    interestingHealthProviderNames === null
      ? all
      : all.filter((h) => interestingHealthProviderNames.includes(String(h.type)));
  const states = healths.map((h) => orcaState(h.state));
  const someAreUp = states.includes('Up');
  const noneAreDown = !states.some((s) => ['Down', 'OutOfService', 'Starting', 'Draining'].includes(s));
  let up = someAreUp;
  if (interestingHealthProviderNames !== null && !someAreUp) {
    const platform = healths.find((h) => h.healthClass === 'platform');
    if (platform && interestingHealthProviderNames.includes(String(platform.type)))
      up = orcaState(platform.state) !== 'Down';
  }
  return up && noneAreDown;
}

/**
 * orca `WaitForUpInstancesTask.allInstancesMatch` (77-141) for a deploy without percentages: the
 * server group's desired capacity is the target; enough instances must be listed and up.
 */
export function allInstancesUp(
  serverGroup: Record<string, unknown>,
  interestingHealthProviderNames: readonly string[] | null = null,
): boolean {
  const desired = (serverGroup.capacity as { desired?: number } | null)?.desired;
  if (desired === undefined || desired === null) return false;
  const instances = serverGroup.instances as Record<string, unknown>[];
  if (desired > instances.length) return false;
  return (
    instances.filter((i) => someAreUpAndNoneAreDownOrStarting(i, interestingHealthProviderNames)).length >=
    desired
  );
}
