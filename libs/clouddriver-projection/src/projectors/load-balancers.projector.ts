import {
  Listener$,
  LoadBalancer$,
  LoadBalancerAttribute$,
  Rule$,
  TargetGroup$,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { parseCacheKey, parseElbArn } from '@event-cache/events';
import { agentType, CLOUDDRIVER_AGENT, instanceHealthKey, relAgent } from '../clouddriver-agents';
import type { ProjectionPlan } from '../plan';
import { toV1 } from '../sdk-v1/v1-attributes';
import { links, list, obj, sortedUnique, type StoredResource, str } from './stored-resource';

/**
 * Clouddriver's AmazonApplicationLoadBalancerCachingAgent (`buildCacheResult`) for an ELBv2 load
 * balancer: the `LoadBalancer` with `type` renamed `loadBalancerType`, `availabilityZones` as zone
 * names and `subnets` as subnet ids, its `listeners` (each with `loadBalancerName` instead of its
 * ARN and its `rules`; forward actions name their target group instead of its ARN), its
 * `attributes` list and the `deletionProtection`, `loadBalancingCrossZone` and `idleTimeout` read
 * from it; relationships to the target groups its listeners forward to and the target groups that
 * name it. `targetGroups` are the target groups of the same account/region that link to it now.
 */
export function projectLoadBalancer(
  loadBalancer: StoredResource | undefined,
  key: string,
  targetGroups: readonly StoredResource[],
  plan: ProjectionPlan,
): void {
  const parsed = parseCacheKey(key);
  if (parsed?.type !== 'loadBalancers') return;
  const agent = agentType(parsed.account, parsed.region, CLOUDDRIVER_AGENT.applicationLoadBalancer);
  if (!loadBalancer) {
    plan.delete('loadBalancers', key, agent);
    return;
  }
  const source = loadBalancer.attributes;
  const attributes = toV1(LoadBalancer$, source, 'jackson');
  attributes.loadBalancerType = attributes.type;
  delete attributes.type;
  const zones = list(source.availabilityZones).map(obj);
  attributes.availabilityZones = zones.map((z) => z.zoneName ?? null);
  attributes.subnets = zones.map((z) => z.subnetId ?? null);

  const typeOfTargetGroup = new Map<string, string | undefined>();
  for (const tg of targetGroups) {
    typeOfTargetGroup.set(String(tg.attributes.targetGroupName), str(tg.attributes.targetType));
  }
  const vpcId = parsed.vpcId;
  const referenced = new Set<string>();
  const nameTargetGroup = (action: Record<string, unknown>) => {
    const arn = str(action.targetGroupArn);
    if (arn === undefined) return;
    const name = parseElbArn(arn)?.name ?? arn;
    action.targetGroupName = name;
    delete action.targetGroupArn;
    const type = typeOfTargetGroup.get(name) ?? null;
    referenced.add(
      type !== null && type.toLowerCase() === 'lambda'
        ? `aws:targetGroups:${parsed.account}:${parsed.region}:${name}:${type}`
        : `aws:targetGroups:${parsed.account}:${parsed.region}:${name}:${type}:${vpcId}`,
    );
  };
  attributes.listeners = list(source.listeners).map((listener) => {
    const converted = toV1(Listener$, listener, 'jackson');
    const arn = str(converted.loadBalancerArn);
    converted.loadBalancerName = arn === undefined ? undefined : (parseElbArn(arn)?.name ?? arn);
    delete converted.loadBalancerArn;
    for (const action of list(converted.defaultActions)) nameTargetGroup(obj(action));
    converted.rules = list(obj(listener).rules).map((rule) => {
      const r = toV1(Rule$, rule, 'jackson');
      for (const action of list(r.actions)) nameTargetGroup(obj(action));
      return r;
    });
    return converted;
  });
  if (Array.isArray(source.attributes)) {
    const lbAttributes = source.attributes.map((a) => toV1(LoadBalancerAttribute$, a, 'jackson'));
    attributes.attributes = lbAttributes;
    const value = (name: string) => str(lbAttributes.find((a) => a.key === name)?.value);
    const deletion = value('deletion_protection.enabled');
    if (deletion !== undefined) attributes.deletionProtection = deletion.toLowerCase() === 'true';
    const crossZone = value('load_balancing.cross_zone.enabled');
    if (crossZone !== undefined) attributes.loadBalancingCrossZone = crossZone.toLowerCase() === 'true';
    const idle = value('idle_timeout.timeout_seconds');
    if (idle !== undefined && /^-?\d+$/.test(idle)) attributes.idleTimeout = Number(idle);
  }
  for (const tg of targetGroups) referenced.add(tg.key);
  plan.upsert({
    type: 'loadBalancers',
    agent,
    data: { id: key, attributes, relationships: { targetGroups: sortedUnique(referenced) }, ttlSeconds: -1 },
  });
}

/**
 * The same agent's target group row: the `TargetGroup` with `loadBalancerNames` instead of its
 * `loadBalancerArns`, `instances` (the ids of its registered targets), `attributes` (key -> value);
 * relationships to its load balancers.
 */
export function projectTargetGroup(targetGroup: StoredResource, plan: ProjectionPlan): void {
  const account = targetGroup.account;
  const region = targetGroup.region;
  if (!account || !region) return;
  const agent = agentType(account, region, CLOUDDRIVER_AGENT.applicationLoadBalancer);
  const source = targetGroup.attributes;
  const attributes = toV1(TargetGroup$, source, 'jackson');
  attributes.instances = list(source.targetHealthDescriptions).flatMap((d) => {
    const id = str(obj(obj(d).target).id);
    return id === undefined ? [] : [id];
  });
  if (Array.isArray(source.attributes)) {
    const map: Record<string, unknown> = {};
    for (const a of source.attributes.map(obj)) if (typeof a.key === 'string') map[a.key] = a.value ?? null;
    attributes.attributes = map;
  }
  attributes.loadBalancerNames = list(attributes.loadBalancerArns).map((arn) =>
    typeof arn === 'string' ? (parseElbArn(arn)?.name ?? arn) : arn,
  );
  delete attributes.loadBalancerArns;
  plan.upsert({
    type: 'targetGroups',
    agent,
    data: {
      id: targetGroup.key,
      attributes,
      relationships: { loadBalancers: links(targetGroup, 'loadBalancers') },
      ttlSeconds: -1,
    },
  });
}

/** ELBv2's target states as Clouddriver's InstanceTargetGroupState maps them to health states. */
function healthStateOf(state: string | undefined): string {
  switch (state) {
    case 'healthy':
      return 'Up';
    case 'initial':
      return 'Starting';
    case 'unused':
      return 'OutOfService';
    case 'draining':
      return 'Draining';
    default:
      return 'Down';
  }
}

/** InstanceTargetGroups.deriveInstanceHealthState. */
function instanceStateOf(states: string[]): string {
  for (const s of ['Starting', 'Down', 'OutOfService', 'Draining']) if (states.includes(s)) return s;
  return 'Up';
}

/**
 * The same agent's `health` row of one instance (InstanceTargetGroups): the states of the
 * instance in every target group that has it as a target, with the instance's `application`;
 * related to the instance, and the instance to it (informative). No target group, no row.
 */
export function projectTargetGroupHealth(
  instance: { key: string; account: string; region: string; instanceId: string; application: string | null },
  targetGroups: readonly StoredResource[],
  plan: ProjectionPlan,
): void {
  const agent = agentType(instance.account, instance.region, CLOUDDRIVER_AGENT.applicationLoadBalancer);
  const health = instanceHealthKey(instance.instanceId, instance.account, instance.region);
  const informative = relAgent('health', agent);
  const states = targetGroups
    .flatMap((tg) =>
      list(tg.attributes.targetHealthDescriptions)
        .map(obj)
        .filter((d) => obj(d.target).id === instance.instanceId)
        .map((d) => {
          const targetHealth = obj(d.targetHealth);
          const state = str(targetHealth.state);
          return {
            instanceId: instance.instanceId,
            targetGroupName: str(tg.attributes.targetGroupName),
            state,
            reasonCode: str(targetHealth.reason),
            description: str(targetHealth.description),
            healthState: healthStateOf(state),
          };
        }),
    )
    .sort((a, b) => ((a.targetGroupName ?? '') < (b.targetGroupName ?? '') ? -1 : 1));
  const scope = { type: 'instances', key: instance.key, relAgents: [informative], relType: 'health' };
  if (states.length === 0) {
    plan.delete('health', health, agent);
    plan.edges(scope, []);
    return;
  }
  const attributes: Record<string, unknown> = {
    instanceId: instance.instanceId,
    state: instanceStateOf(states.map((s) => s.healthState)),
    targetGroups: states,
    type: 'TargetGroup',
  };
  if (instance.application !== null) attributes.application = instance.application;
  plan.upsert({
    type: 'health',
    agent,
    data: { id: health, attributes, relationships: { instances: [instance.key] }, ttlSeconds: -1 },
  });
  plan.edges(scope, [
    { a: instance.key, aType: 'instances', b: health, bType: 'health', relAgent: informative },
  ]);
}
