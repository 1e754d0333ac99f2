import { Instance$ } from '@aws-sdk/client-ec2';
import { parseCacheKey } from '@event-cache/events';
import { agentType, CLOUDDRIVER_AGENT, imageKey, relAgent } from '../clouddriver-agents';
import type { Edge, ProjectionPlan } from '../plan';
import { toV1 } from '../sdk-v1/v1-attributes';
import { links, obj, type StoredResource, str } from './stored-resource';

/**
 * Clouddriver's InstanceCachingAgent (clouddriver-aws `provider/agent/InstanceCachingAgent.groovy`):
 * - `instances` (authoritative): the EC2 `Instance` (v1 bean names, dates as epoch ms), plus
 *   `health` = `[{type: 'Amazon', healthClass: 'platform', state: Unknown|Down[, description]}]`,
 *   `application` (of the server group key) and `capacityType` (`on-demand` or `spot`);
 *   relationships `images` and `serverGroups` (empty without an `aws:autoscaling:groupName` tag);
 * - `serverGroups` and `images` (informative): server group -> instances and images, image ->
 *   instances and server groups, as relationship rows.
 * Instances that are `shutting-down` or `terminated` have no row. A relationship row to a server
 * group the store does not hold is left out (it appears when the server group is written).
 */
export function projectInstance(
  instance: StoredResource,
  plan: ProjectionPlan,
  exists: (key: string) => boolean,
): void {
  const account = instance.account;
  const region = instance.region;
  if (!account || !region) return;
  const agent = agentType(account, region, CLOUDDRIVER_AGENT.instance);
  if (!isLive(instance)) {
    plan.delete('instances', instance.key, agent);
    plan.edges({ type: 'instances', key: instance.key, relAgents: [relAgent('instances', agent)] }, []);
    return;
  }
  const attributes = toV1(Instance$, instance.attributes, 'jackson');
  attributes.health = [amazonHealth(instance.attributes)];
  const serverGroup = links(instance, 'serverGroups')[0];
  if (serverGroup !== undefined) {
    const parsed = parseCacheKey(serverGroup);
    if (parsed?.type === 'serverGroups' && parsed.application) attributes.application = parsed.application;
  }
  const capacityType = capacityTypeOf(instance.attributes.instanceLifecycle);
  if (capacityType) attributes.capacityType = capacityType;
  const imageId = str(instance.attributes.imageId);
  const image = imageKey(imageId ?? 'null', account, region);

  plan.upsert({
    type: 'instances',
    agent,
    data: {
      id: instance.key,
      attributes,
      relationships: { images: [image], serverGroups: serverGroup === undefined ? [] : [serverGroup] },
      ttlSeconds: -1,
    },
  });

  const informative = relAgent('instances', agent);
  const edges: Edge[] = [
    { a: image, aType: 'images', b: instance.key, bType: 'instances', relAgent: informative },
  ];
  if (serverGroup !== undefined && exists(serverGroup)) {
    edges.push({
      a: serverGroup,
      aType: 'serverGroups',
      b: instance.key,
      bType: 'instances',
      relAgent: informative,
    });
    // Its server group's link to its image, which it shares with its siblings: added if missing;
    // only an instance leaving (evicted, moved, shutting down) recomputes the server group's set.
    for (const edge of serverGroupImageEdges(serverGroup, account, region, [image])) plan.ensure(edge);
  }
  plan.edges({ type: 'instances', key: instance.key, relAgents: [informative] }, edges);
}

/** Clouddriver caches instances until they are shutting down or terminated. */
export function isLive(instance: Pick<StoredResource, 'attributes'>): boolean {
  const state = str(obj(instance.attributes.state).name);
  return state !== 'shutting-down' && state !== 'terminated';
}

function serverGroupImageEdges(
  serverGroup: string,
  account: string,
  region: string,
  images: Iterable<string>,
): Edge[] {
  const agent = agentType(account, region, CLOUDDRIVER_AGENT.instance);
  const toImages = relAgent('images', agent);
  const toServerGroups = relAgent('serverGroups', agent);
  return [...new Set(images)].flatMap((image) => [
    { a: serverGroup, aType: 'serverGroups', b: image, bType: 'images', relAgent: toImages },
    { a: image, aType: 'images', b: serverGroup, bType: 'serverGroups', relAgent: toServerGroups },
  ]);
}

function amazonHealth(attributes: Record<string, unknown>): Record<string, unknown> {
  const running = str(obj(attributes.state).name) === 'running';
  const health: Record<string, unknown> = {
    type: 'Amazon',
    healthClass: 'platform',
    state: running ? 'Unknown' : 'Down',
  };
  const reason = obj(attributes.stateReason);
  if (Object.keys(reason).length > 0 && reason.message !== undefined) health.description = reason.message;
  return health;
}

function capacityTypeOf(lifecycle: unknown): string | undefined {
  if (lifecycle === undefined || lifecycle === null) return 'on-demand';
  return typeof lifecycle === 'string' && lifecycle.toLowerCase() === 'spot' ? 'spot' : undefined;
}

/**
 * The InstanceCachingAgent's links between a server group and the images of its instances (both
 * directions, two relationship types), from the images its instances run now.
 */
export function projectServerGroupImages(
  serverGroup: string,
  account: string,
  region: string,
  imageIds: Iterable<string>,
  plan: ProjectionPlan,
): void {
  const agent = agentType(account, region, CLOUDDRIVER_AGENT.instance);
  const images = [...imageIds].map((id) => imageKey(id, account, region));
  plan.edges(
    {
      type: 'serverGroups',
      key: serverGroup,
      relAgents: [relAgent('images', agent), relAgent('serverGroups', agent)],
      relType: 'images',
    },
    serverGroupImageEdges(serverGroup, account, region, images),
  );
}
