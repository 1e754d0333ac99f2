import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as apps from 'kubernetes-models/apps/v1';
import * as batch from 'kubernetes-models/batch/v1';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as rbac from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import * as core from 'kubernetes-models/v1';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { parse as parseYaml } from 'yaml';
import {
  type AppConfig,
  ConfigError,
  loadConfig,
  SERVICE_PORTS,
  type ServiceName,
} from '@event-cache/platform';

/**
 * Checks of rendered Kubernetes manifests (`npm run test:k8s` renders every overlay, then runs
 * these): the API schemas, then what the services need to run safely: probes, limits, non-root,
 * no literal secrets, least-privilege RBAC, the migrations Job ahead of the services, and a
 * configuration each service accepts.
 */

/** A rendered object, as parsed from YAML (before it is known to be valid). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface Problem {
  /** `Kind/name` of the object, or the overlay. */
  where: string;
  message: string;
}

const where = (o: K8sObject): string => `${o.kind}/${o.metadata?.name ?? '(unnamed)'}`;

// The API groups the manifests may use, each with the classes that validate its kinds.
const MODELS: Record<string, Record<string, unknown>> = {
  v1: core,
  'apps/v1': apps,
  'batch/v1': batch,
  'networking.k8s.io/v1': networking,
  'policy/v1': policy,
  'rbac.authorization.k8s.io/v1': rbac,
};

interface Validatable {
  validate(): void;
}

/** Every object against the Kubernetes API schemas (kubernetes-models, offline). */
export function schemaProblems(objects: K8sObject[]): Problem[] {
  const problems: Problem[] = [];
  for (const object of objects) {
    const model = MODELS[object.apiVersion]?.[object.kind];
    if (typeof model !== 'function') {
      problems.push({ where: where(object), message: `no schema for ${object.apiVersion} ${object.kind}` });
      continue;
    }
    try {
      new (model as new (data: unknown) => Validatable)(object).validate();
    } catch (e) {
      problems.push({ where: where(object), message: e instanceof Error ? e.message : String(e) });
    }
  }
  return problems;
}

/** The typed objects of one rendering; only meaningful once schemaProblems found nothing. */
export class Rendered {
  constructor(readonly objects: K8sObject[]) {}

  of<T>(kind: string): (T & K8sObject)[] {
    return this.objects.filter((o) => o.kind === kind) as (T & K8sObject)[];
  }
  get deployments(): (IDeployment & K8sObject)[] {
    return this.of<IDeployment>('Deployment');
  }
  get jobs(): (IJob & K8sObject)[] {
    return this.of<IJob>('Job');
  }
  /** The pods the Deployments and Jobs run: where, namespace, labels and container ports. */
  get pods(): RenderedPod[] {
    return [...this.deployments, ...this.jobs].map((w) => ({
      where: where(w),
      namespace: w.metadata?.namespace,
      labels: w.spec?.template.metadata?.labels ?? {},
      ports: w.spec?.template.spec?.containers.flatMap((c) => c.ports ?? []) ?? [],
    }));
  }
  configMap(name: string): IConfigMap | undefined {
    return this.of<IConfigMap>('ConfigMap').find((c) => c.metadata?.name === name);
  }
  /** Each Deployment that runs a known service, with its pod and the service's own container. */
  get services(): ServiceWorkload[] {
    return this.deployments.flatMap((deployment) => {
      const service = serviceOf(deployment);
      const pod = deployment.spec?.template.spec;
      const main = pod?.containers.find((c) => c.name === service);
      return service && pod && main ? [{ deployment, service, pod, main }] : [];
    });
  }
}

export interface RenderedPod {
  where: string;
  namespace?: string;
  labels: Record<string, string>;
  ports: { name?: string; containerPort: number }[];
}

export interface ServiceWorkload {
  deployment: IDeployment & K8sObject;
  service: ServiceName;
  pod: IPodSpec;
  main: IContainer;
}

/** The service a Deployment runs: its `app.kubernetes.io/name` label. */
export function serviceOf(deployment: IDeployment): ServiceName | undefined {
  const name = deployment.spec?.template.metadata?.labels?.['app.kubernetes.io/name'];
  return name && name in SERVICE_PORTS ? (name as ServiceName) : undefined;
}

const SECRET_ENV = /(TOKEN|API_KEY|PASSWORD|SECRET|DATABASE_URL)$/;
/** Stand-ins for the Secret's values when a service's configuration is loaded for checking. */
const SECRET_STAND_INS: Record<string, string> = {
  DATABASE_URL: 'postgres://event_cache:stand-in@postgres.invalid:5432/event_cache',
  CLOUDDRIVER_DATABASE_URL: 'postgres://event_cache_projection:stand-in@postgres.invalid:5432/clouddriver',
};

/** Probes, limits, security, secrets, images, scrape annotations of every Deployment and Job. */
export function workloadProblems(rendered: Rendered): Problem[] {
  const problems: Problem[] = [];
  const seenServices = new Set<ServiceName>();
  for (const deployment of rendered.deployments) {
    const at = where(deployment);
    const say = (message: string): number => problems.push({ where: at, message });
    const service = serviceOf(deployment);
    if (!service) {
      say(`pod label app.kubernetes.io/name must name a service (${Object.keys(SERVICE_PORTS).join(', ')})`);
      continue;
    }
    seenServices.add(service);
    const pod = deployment.spec?.template.spec;
    if (!pod) continue;
    problems.push(...podProblems(at, pod));
    const main = pod.containers.find((c) => c.name === service);
    if (!main) {
      say(`has no container named "${service}"`);
      continue;
    }
    const port = main.ports?.find((p) => p.name === 'http')?.containerPort;
    const listens = Number(envValue(main, 'PORT') ?? SERVICE_PORTS[service]);
    if (port !== listens) say(`container port "http" is ${port}, but ${service} listens on ${listens}`);
    if (!isHttpProbe(main.livenessProbe, '/health/live', main))
      say('liveness probe must GET /health/live on the http port');
    if (!isHttpProbe(main.readinessProbe, '/health/ready', main))
      say('readiness probe must GET /health/ready on the http port');
    const annotations = deployment.spec?.template.metadata?.annotations ?? {};
    if (annotations['prometheus.io/scrape'] !== 'true' || annotations['prometheus.io/path'] !== '/metrics')
      say('pod template needs prometheus.io/scrape "true" and prometheus.io/path "/metrics"');
    if (Number(annotations['prometheus.io/port']) !== listens)
      say(`prometheus.io/port must be the http port ${listens}`);
    const heap = /--max-old-space-size=(\d+)/.exec(envValue(main, 'NODE_OPTIONS') ?? '')?.[1];
    const limit = mebibytes(main.resources?.limits?.memory);
    if (!heap)
      say(
        'NODE_OPTIONS needs --max-old-space-size under the memory limit, so V8 collects before it is killed',
      );
    else if (limit !== undefined && Number(heap) > 0.75 * limit)
      say(`V8 heap cap ${heap} MiB leaves too little of the ${limit} MiB memory limit (keep it <= 75%)`);
    const wait = pod.initContainers?.find((c) =>
      c.command?.some((a) => a.endsWith('tools/db/wait-for-schema.js')),
    );
    if (!wait) say('needs the wait-for-schema init container (the migrations Job runs first)');
    else if (wait.image !== main.image) say('wait-for-schema must run the same image as the service');
    if (pod.automountServiceAccountToken !== false && service !== 'clouddriver-forwarder')
      say(
        'automountServiceAccountToken must be false: only clouddriver-forwarder talks to the Kubernetes API',
      );
  }
  for (const service of Object.keys(SERVICE_PORTS) as ServiceName[]) {
    if (!seenServices.has(service))
      problems.push({ where: 'manifests', message: `no Deployment runs ${service}` });
  }

  const migrate = rendered.jobs.filter((j) =>
    j.spec?.template.spec?.containers.some((c) => c.command?.some((a) => a.endsWith('tools/db/migrate.js'))),
  );
  if (migrate.length !== 1)
    problems.push({ where: 'manifests', message: 'needs exactly one Job running dist/tools/db/migrate.js' });
  for (const job of rendered.jobs) {
    const pod = job.spec?.template.spec;
    if (pod) problems.push(...podProblems(where(job), pod));
    if (pod && pod.automountServiceAccountToken !== false)
      problems.push({ where: where(job), message: 'automountServiceAccountToken must be false' });
  }

  // One release: every image (services, init containers, the Job) at the same tag.
  const tags = new Set(
    [...rendered.deployments, ...rendered.jobs].flatMap((w) =>
      [...(w.spec?.template.spec?.containers ?? []), ...(w.spec?.template.spec?.initContainers ?? [])].map(
        (c) => tagOf(c.image),
      ),
    ),
  );
  if (tags.size > 1)
    problems.push({
      where: 'manifests',
      message: `images at different tags: ${[...tags].sort().join(', ')}`,
    });

  for (const secret of rendered.of<K8sObject>('Secret')) {
    problems.push({
      where: where(secret),
      message: 'no Secret objects: reference an existing Secret instead',
    });
  }
  return problems;
}

function podProblems(at: string, pod: IPodSpec): Problem[] {
  const problems: Problem[] = [];
  const say = (message: string): number => problems.push({ where: at, message });
  const podNonRoot = pod.securityContext?.runAsNonRoot === true;
  if (pod.securityContext?.runAsUser === 0) say('pod runs as uid 0');
  for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
    const c = `container ${container.name}`;
    const sc = container.securityContext;
    if (!podNonRoot && sc?.runAsNonRoot !== true) say(`${c}: runAsNonRoot must be true`);
    if (sc?.runAsUser === 0) say(`${c}: runs as uid 0`);
    if (sc?.readOnlyRootFilesystem !== true) say(`${c}: readOnlyRootFilesystem must be true`);
    if (sc?.allowPrivilegeEscalation !== false) say(`${c}: allowPrivilegeEscalation must be false`);
    if (!sc?.capabilities?.drop?.includes('ALL')) say(`${c}: must drop ALL capabilities`);
    for (const kind of ['requests', 'limits'] as const) {
      for (const resource of ['cpu', 'memory']) {
        if (container.resources?.[kind]?.[resource] === undefined)
          say(`${c}: resources.${kind}.${resource} missing`);
      }
    }
    const tag = tagOf(container.image);
    if (!tag || tag === 'latest') say(`${c}: image "${container.image}" needs a release tag (or digest)`);
    for (const env of container.env ?? []) {
      if (SECRET_ENV.test(env.name) && env.value !== undefined)
        say(`${c}: ${env.name} is a literal value; take it from a Secret (secretKeyRef)`);
    }
  }
  return problems;
}

function tagOf(image: string | undefined): string | undefined {
  if (!image) return undefined;
  if (image.includes('@')) return image.slice(image.indexOf('@') + 1);
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  return lastPart.includes(':') ? lastPart.slice(lastPart.indexOf(':') + 1) : undefined;
}

/** A Kubernetes memory quantity in MiB (Ki, Mi, Gi, K, M, G or bytes); undefined when absent. */
function mebibytes(quantity: string | number | undefined): number | undefined {
  if (quantity === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)([KMG]i?)?$/.exec(String(quantity));
  if (!match) return undefined;
  const factor: Record<string, number> = {
    Ki: 1 / 1024,
    Mi: 1,
    Gi: 1024,
    K: 1e3 / 1048576,
    M: 1e6 / 1048576,
    G: 1e9 / 1048576,
  };
  return Number(match[1]) * (match[2] ? factor[match[2]] : 1 / 1048576);
}

function envValue(container: IContainer, name: string): string | undefined {
  return container.env?.find((e) => e.name === name)?.value;
}

function isHttpProbe(probe: IContainer['livenessProbe'], path: string, container: IContainer): boolean {
  const get = probe?.httpGet;
  if (get?.path !== path) return false;
  const port = container.ports?.find((p) => p.name === 'http');
  return get.port === 'http' || (port !== undefined && get.port === port.containerPort);
}

/**
 * Services select a Deployment and name one of its ports; PodDisruptionBudgets cover
 * gate-endpoint and caching-agents without blocking node drains; ConfigMaps referenced exist.
 */
export function wiringProblems(rendered: Rendered): Problem[] {
  const problems: Problem[] = [];
  const selects = (selector: Record<string, string> | undefined, d: IDeployment): boolean =>
    !!selector &&
    Object.keys(selector).length > 0 &&
    Object.entries(selector).every(([k, v]) => d.spec?.template.metadata?.labels?.[k] === v);

  for (const svc of rendered.of<IService>('Service')) {
    const targets = rendered.deployments.filter((d) => selects(svc.spec?.selector, d));
    if (targets.length !== 1) {
      problems.push({ where: where(svc), message: `selects ${targets.length} Deployments, not 1` });
      continue;
    }
    const ports = targets[0].spec?.template.spec?.containers.flatMap((c) => c.ports ?? []) ?? [];
    for (const p of svc.spec?.ports ?? []) {
      const target = p.targetPort ?? p.port;
      if (!ports.some((cp) => cp.name === target || cp.containerPort === target))
        problems.push({
          where: where(svc),
          message: `targetPort ${target} is not a port of ${where(targets[0])}`,
        });
    }
  }

  const budgets = rendered.of<IPodDisruptionBudget>('PodDisruptionBudget');
  for (const service of ['gate-endpoint', 'caching-agents'] as const) {
    const deployment = rendered.deployments.find((d) => serviceOf(d) === service);
    if (!deployment) continue;
    const budget = budgets.find((b) => selects(b.spec?.selector?.matchLabels, deployment));
    if (!budget) {
      problems.push({ where: where(deployment), message: 'needs a PodDisruptionBudget' });
      continue;
    }
    const replicas = deployment.spec?.replicas ?? 1;
    const { maxUnavailable, minAvailable } = budget.spec ?? {};
    const blocksDrains =
      maxUnavailable === 0 ||
      maxUnavailable === '0%' ||
      (typeof minAvailable === 'number' && minAvailable >= replicas);
    if (blocksDrains)
      problems.push({
        where: where(budget),
        message: `with ${replicas} replica(s) it would block every node drain`,
      });
  }

  for (const workload of [...rendered.deployments, ...rendered.jobs]) {
    for (const volume of workload.spec?.template.spec?.volumes ?? []) {
      const name = volume.configMap?.name;
      if (name && !rendered.configMap(name))
        problems.push({ where: where(workload), message: `volume ${volume.name}: no ConfigMap ${name}` });
    }
  }
  return problems;
}

/** The forwarder's Role: exactly list + watch on endpoints and endpointslices, bound to it only. */
export function rbacProblems(rendered: Rendered): Problem[] {
  const problems: Problem[] = [];
  for (const kind of ['ClusterRole', 'ClusterRoleBinding']) {
    for (const o of rendered.of<K8sObject>(kind))
      problems.push({
        where: where(o),
        message: 'no cluster-wide RBAC: the forwarder reads its own namespace',
      });
  }
  const forwarder = rendered.deployments.find((d) => serviceOf(d) === 'clouddriver-forwarder');
  const account = forwarder?.spec?.template.spec?.serviceAccountName;
  if (!forwarder || !account) {
    problems.push({ where: 'manifests', message: 'clouddriver-forwarder needs its own ServiceAccount' });
    return problems;
  }
  const wanted = ['/endpoints:list,watch', 'discovery.k8s.io/endpointslices:list,watch'];
  for (const role of rendered.of<IRole>('Role')) {
    const grants = (role.rules ?? [])
      .flatMap((r) =>
        (r.apiGroups ?? ['']).flatMap((g) =>
          (r.resources ?? []).map((res) => `${g}/${res}:${[...r.verbs].sort().join(',')}`),
        ),
      )
      .sort();
    if (JSON.stringify(grants) !== JSON.stringify(wanted))
      problems.push({
        where: where(role),
        message: `grants ${grants.join(' ') || 'nothing'}; want exactly ${wanted.join(' ')}`,
      });
  }
  const bindings = rendered.of<IRoleBinding>('RoleBinding');
  if (bindings.length !== 1)
    problems.push({ where: 'manifests', message: `${bindings.length} RoleBindings, want 1` });
  for (const binding of bindings) {
    const subjects = binding.subjects ?? [];
    const ok =
      subjects.length === 1 &&
      subjects[0].kind === 'ServiceAccount' &&
      subjects[0].name === account &&
      subjects[0].namespace === binding.metadata?.namespace &&
      rendered.of<IRole>('Role').some((r) => r.metadata?.name === binding.roleRef.name);
    if (!ok)
      problems.push({
        where: where(binding),
        message: `must bind the Role to ServiceAccount ${account} in its own namespace only`,
      });
  }
  for (const sa of rendered.of<IServiceAccount>('ServiceAccount')) {
    if (sa.metadata?.name !== account && sa.automountServiceAccountToken !== false)
      problems.push({ where: where(sa), message: 'automountServiceAccountToken must be false' });
  }
  return problems;
}

/**
 * Loads each service's configuration the way its pod would: the mounted ConfigMap file named by
 * EVENT_CACHE_CONFIG and the container's environment (Secret values replaced by stand-ins).
 * Returns the problems and the configurations that loaded.
 */
export function configProblems(rendered: Rendered): {
  problems: Problem[];
  configs: Map<ServiceName, AppConfig>;
} {
  const problems: Problem[] = [];
  const configs = new Map<ServiceName, AppConfig>();
  // Once per ConfigMap, whichever services mount it.
  for (const configMap of rendered.of<IConfigMap>('ConfigMap')) {
    for (const text of Object.values(configMap.data ?? {})) {
      for (const key of secretKeysIn(text)) {
        problems.push({ where: where(configMap), message: `${key} is set here; it belongs in the Secret` });
      }
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'event-cache-k8s-'));
  try {
    for (const { deployment, service, pod, main } of rendered.services) {
      const say = (message: string): number => problems.push({ where: where(deployment), message });
      const env: Record<string, string> = {};
      for (const e of main.env ?? []) {
        if (e.value !== undefined) env[e.name] = e.value;
        else if (e.valueFrom?.secretKeyRef) env[e.name] = SECRET_STAND_INS[e.name] ?? 's'.repeat(32);
      }
      const path = env.EVENT_CACHE_CONFIG;
      if (!path) {
        say('EVENT_CACHE_CONFIG is not set: the service would run on defaults only');
        continue;
      }
      const text = mountedFile(rendered, pod, main, path);
      if (text === undefined) {
        say(`EVENT_CACHE_CONFIG ${path} is not a file of a mounted ConfigMap`);
        continue;
      }
      const file = join(dir, `${service}.yaml`);
      writeFileSync(file, text);
      try {
        const config = loadConfig(service, { ...env, EVENT_CACHE_CONFIG: file });
        configs.set(service, config);
      } catch (e) {
        say(e instanceof ConfigError ? e.message : `configuration: ${String(e)}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { problems, configs };
}

function valueAt(section: Record<string, unknown>, path: string): unknown {
  let value: unknown = section;
  for (const part of path.split('.')) {
    value =
      value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  }
  return value;
}

/** Config keys holding secrets that a config file sets (they must come from the Secret). */
function secretKeysIn(text: string): string[] {
  let file: unknown;
  try {
    file = parseYaml(text);
  } catch {
    return []; // not YAML: loading the configuration says so
  }
  const section = (name: string): Record<string, unknown> => {
    const value = (file as Record<string, unknown> | null)?.[name];
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  };
  return [
    ['database', 'url'],
    ['admin', 'token'],
    ['events', 'apiKey'],
    ['forwarder', 'token'],
    ['clouddriver', 'cache.databaseUrl'],
  ]
    .filter(([name, key]) => valueAt(section(name), key) !== undefined)
    .map(([name, key]) => `${name}.${key}`);
}

/** The text of the file at `path` when a mounted ConfigMap holds it. */
function mountedFile(
  rendered: Rendered,
  pod: IPodSpec,
  container: IContainer,
  path: string,
): string | undefined {
  for (const mount of container.volumeMounts ?? []) {
    const prefix = mount.mountPath.endsWith('/') ? mount.mountPath : `${mount.mountPath}/`;
    if (!path.startsWith(prefix)) continue;
    const name = pod.volumes?.find((v) => v.name === mount.name)?.configMap?.name;
    return name ? rendered.configMap(name)?.data?.[path.slice(prefix.length)] : undefined;
  }
  return undefined;
}

/**
 * Time a service needs between SIGTERM and exit: the preStop pause, then its own drain
 * (caching-agents: agents.shutdownGraceSeconds; event-scheduler: the long poll in progress),
 * plus 10 s to release leases, close the database pool and flush logs.
 */
export function shutdownProblems(rendered: Rendered, configs: Map<ServiceName, AppConfig>): Problem[] {
  const problems: Problem[] = [];
  for (const { deployment, service, pod, main } of rendered.services) {
    const config = configs.get(service);
    if (!config) continue;
    const preStop = main.lifecycle?.preStop?.exec?.command;
    const pause = preStop?.[0] === 'sleep' ? Number(preStop[1]) : 0;
    const drain =
      service === 'caching-agents'
        ? config.agents.shutdownGraceSeconds
        : service === 'event-scheduler'
          ? config.sqs.waitTimeSeconds
          : 0;
    const needed = pause + drain + 10;
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    if (grace < needed)
      problems.push({
        where: where(deployment),
        message: `terminationGracePeriodSeconds ${grace} < ${needed} s needed to shut down gracefully`,
      });
  }
  return problems;
}

/** The shortest and longest base polling interval (seconds) over the accounts of a configuration. */
export function pollingRange(config: AppConfig): { min: number; max: number } | undefined {
  if (!config.accounts.length) return undefined;
  const intervals = config.accounts.map(
    (a) =>
      config.polling.defaultIntervalSeconds * (config.polling.environmentMultipliers[a.environment] ?? 1),
  );
  return { min: Math.min(...intervals), max: Math.max(...intervals) };
}

/** nonprod: fewer replicas and longer polling intervals than prod. */
export function overlayProblems(
  prod: Rendered,
  nonprod: Rendered,
  configs: { prod?: AppConfig; nonprod?: AppConfig },
): Problem[] {
  const problems: Problem[] = [];
  const replicas = (r: Rendered): Map<string, number> =>
    new Map(r.deployments.map((d) => [d.metadata?.name ?? '', d.spec?.replicas ?? 1]));
  const p = replicas(prod);
  const n = replicas(nonprod);
  let fewer = false;
  for (const [name, count] of n) {
    const inProd = p.get(name);
    if (inProd === undefined) continue;
    if (count > inProd)
      problems.push({
        where: 'overlays/nonprod',
        message: `${name}: ${count} replicas, more than prod's ${inProd}`,
      });
    if (count < inProd) fewer = true;
  }
  if (!fewer) problems.push({ where: 'overlays/nonprod', message: 'runs no fewer replicas than prod' });
  const prodRange = configs.prod && pollingRange(configs.prod);
  const nonprodRange = configs.nonprod && pollingRange(configs.nonprod);
  if (!prodRange || !nonprodRange) {
    problems.push({ where: 'overlays', message: 'both overlays need accounts to compare polling intervals' });
  } else if (nonprodRange.min <= prodRange.max) {
    problems.push({
      where: 'overlays/nonprod',
      message: `polls every ${nonprodRange.min} s at the shortest, not longer than prod's ${prodRange.max} s (set an environment multiplier)`,
    });
  }
  return problems;
}

/** Every check of one rendering whose objects passed the schemas; also its loaded configuration. */
export function renderingProblems(rendered: Rendered): { problems: Problem[]; config?: AppConfig } {
  const config = configProblems(rendered);
  return {
    problems: [
      ...workloadProblems(rendered),
      ...wiringProblems(rendered),
      ...rbacProblems(rendered),
      ...networkPolicyProblems(rendered, config.configs.values().next().value),
      ...config.problems,
      ...shutdownProblems(rendered, config.configs),
    ],
    // One file serves every service: any service's view of it will do.
    config: config.configs.values().next().value,
  };
}

type LabelSelector = NonNullable<INetworkPolicy['spec']>['podSelector'];
type IngressRule = NonNullable<NonNullable<INetworkPolicy['spec']>['ingress']>[number];
type Peer = NonNullable<IngressRule['from']>[number];

/** Whether a label selector selects these labels (`{}` selects everything). */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return (
    byLabel &&
    (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      const has = Object.hasOwn(labels, key);
      switch (operator) {
        case 'In':
          return has && values.includes(labels[key]);
        case 'NotIn':
          return !has || !values.includes(labels[key]);
        case 'Exists':
          return has;
        case 'DoesNotExist':
          return !has;
        default:
          return false;
      }
    })
  );
}

const isEmptySelector = (selector: LabelSelector | undefined): boolean =>
  selector !== undefined &&
  Object.keys(selector.matchLabels ?? {}).length === 0 &&
  (selector.matchExpressions ?? []).length === 0;

/** Whether a policy (in `namespace`) admits a pod of these manifests, namespaces labelled as Kubernetes does. */
function peerAdmits(peer: Peer, namespace: string | undefined, pod: RenderedPod): boolean {
  if (peer.ipBlock) return false; // pod addresses are not known here
  const namespaceOk = peer.namespaceSelector
    ? selectorMatches(peer.namespaceSelector, { 'kubernetes.io/metadata.name': pod.namespace ?? '' })
    : pod.namespace === namespace;
  return namespaceOk && (peer.podSelector === undefined || selectorMatches(peer.podSelector, pod.labels));
}

/** Whether a rule admits connections to the pod's port `name` (no port given = every port). */
function ruleAdmitsPort(rule: IngressRule, pod: RenderedPod, name: string): boolean {
  const number = pod.ports.find((p) => p.name === name)?.containerPort;
  return (
    !rule.ports?.length ||
    rule.ports.some((p) => p.port === undefined || p.port === name || p.port === number)
  );
}

/** A source that is not a choice: every pod, namespace or address. */
function openPeer(peer: Peer): string | undefined {
  if (!peer.ipBlock && !peer.namespaceSelector && !peer.podSelector)
    return 'an empty peer admits every source';
  if (
    isEmptySelector(peer.namespaceSelector) &&
    (peer.podSelector === undefined || isEmptySelector(peer.podSelector))
  )
    return 'admits every pod of every namespace';
  if (peer.ipBlock && ['0.0.0.0/0', '::/0'].includes(peer.ipBlock.cidr)) return 'admits every address';
  return undefined;
}

/**
 * NetworkPolicies: every service's pods are isolated for ingress by one; every policy selects pods
 * of these manifests; every rule names its sources and its ports, the ports exist on the pods it
 * selects, and no source is "anything" (no `from`, an empty peer, every namespace, 0.0.0.0/0); and,
 * with `clouddriver.propagateRefreshes`, event-scheduler's pods may reach the forwarder.
 */
export function networkPolicyProblems(rendered: Rendered, config: AppConfig | undefined): Problem[] {
  const problems: Problem[] = [];
  const policies = rendered.of<INetworkPolicy>('NetworkPolicy');
  const pods = rendered.pods;
  const podOf = (w: K8sObject) => pods.find((p) => p.where === where(w));
  const selecting = (pod: RenderedPod) =>
    policies.filter(
      (p) =>
        p.metadata?.namespace === pod.namespace &&
        p.spec !== undefined &&
        selectorMatches(p.spec.podSelector, pod.labels) &&
        (p.spec.policyTypes ?? ['Ingress']).includes('Ingress'),
    );

  for (const { deployment } of rendered.services) {
    const pod = podOf(deployment);
    if (pod && selecting(pod).length === 0)
      problems.push({
        where: where(deployment),
        message: 'no NetworkPolicy isolates its pods for ingress: any pod of the cluster can reach them',
      });
  }

  for (const policy of policies) {
    const say = (message: string): number => problems.push({ where: where(policy), message });
    const spec = policy.spec;
    if (!spec) continue;
    const selected = pods.filter((p) => selecting(p).includes(policy));
    if (selected.length === 0) say('selects no pod of these manifests (a label that does not match?)');
    (spec.ingress ?? []).forEach((rule, i) => {
      const at = `ingress rule ${i + 1}`;
      if (!rule.from?.length) say(`${at} has no "from": it admits every source`);
      for (const peer of rule.from ?? []) {
        const open = openPeer(peer);
        if (open) say(`${at}: ${open}`);
      }
      if (!rule.ports?.length || rule.ports.some((p) => p.port === undefined))
        say(`${at} names no port: it admits every port`);
      for (const { port } of rule.ports ?? []) {
        for (const pod of selected) {
          if (port !== undefined && !pod.ports.some((p) => p.name === port || p.containerPort === port))
            say(`${at}: port ${port} is not a port of ${pod.where}`);
        }
      }
    });
  }

  const forwarder = rendered.services.find((s) => s.service === 'clouddriver-forwarder');
  const scheduler = rendered.services.find((s) => s.service === 'event-scheduler');
  const target = forwarder && podOf(forwarder.deployment);
  const source = scheduler && podOf(scheduler.deployment);
  if (config?.clouddriver.propagateRefreshes && forwarder && target && source) {
    const reachable = selecting(target).some((policy) =>
      (policy.spec?.ingress ?? []).some(
        (rule) =>
          (rule.from ?? []).some((peer) => peerAdmits(peer, policy.metadata?.namespace, source)) &&
          ruleAdmitsPort(rule, target, 'http'),
      ),
    );
    // Not isolated at all is reported above already.
    if (!reachable && selecting(target).length > 0)
      problems.push({
        where: where(forwarder.deployment),
        message:
          'clouddriver.propagateRefreshes is on, but no NetworkPolicy lets event-scheduler pods reach its http port',
      });
  }
  return problems;
}
