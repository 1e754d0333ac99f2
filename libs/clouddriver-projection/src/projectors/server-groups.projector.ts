import {
  AutoScalingGroup$,
  Instance$ as AsgInstance$,
  ScalingPolicy$,
  ScheduledUpdateGroupAction$,
} from '@aws-sdk/client-auto-scaling';
import { MetricAlarm$ } from '@aws-sdk/client-cloudwatch';
import { parseCacheKey, parseElbArn, parseFriggaName } from '@event-cache/events';
import { agentType, CLOUDDRIVER_AGENT, launchConfigKey, relAgent } from '../clouddriver-agents';
import type { Edge, ProjectionPlan } from '../plan';
import { toV1 } from '../sdk-v1/v1-attributes';
import { links, list, obj, type StoredResource, str } from './stored-resource';

/**
 * Clouddriver's ClusterCachingAgent (`provider/agent/ClusterCachingAgent.groovy`, cacheServerGroup
 * and AsgData) for one Auto Scaling group:
 * - `serverGroups` (authoritative): `application`, `asg` (the AutoScalingGroup), `region`, `name`,
 *   `launchConfigName`, `zones`, `instances` (the ASG's instance list), `vpcId`,
 *   `scalingPolicies` (with their CloudWatch alarms), `scheduledActions` and `targetGroups` (names,
 *   in the order of the group's target group ARNs);
 *   relationships to its application, cluster, load balancers, target groups, launch config or
 *   launch template (the other one is `[null]`, as the agent adds a null key) and instances;
 * - informative relationships from its instances, load balancers, target groups, launch config and
 *   launch template to it.
 * A group being deleted (a non-null `status`) has no row, as the agent skips it. Relationship rows
 * reach only resources the store holds (launch configs and classic load balancers, which other
 * Clouddriver agents cache, always): a resource written later gets its rows then.
 */
export function projectServerGroup(
  serverGroup: StoredResource,
  plan: ProjectionPlan,
  exists: (key: string) => boolean,
): void {
  const account = serverGroup.account;
  const region = serverGroup.region;
  if (!account || !region) return;
  const agent = agentType(account, region, CLOUDDRIVER_AGENT.cluster);
  const owned = relAgent('serverGroups', agent);
  const asg = obj(serverGroup.attributes.asg);
  if (str(asg.status) !== undefined) {
    plan.delete('serverGroups', serverGroup.key, agent);
    plan.edges({ type: 'serverGroups', key: serverGroup.key, relAgents: [owned] }, []);
    return;
  }
  const parts = serverGroupParts(serverGroup);
  if (!parts) return;
  const { application, name } = parts;

  const launchTemplate = links(serverGroup, 'launchTemplates')[0] ?? null;
  const launchConfig =
    launchTemplate === null
      ? launchConfigKey(str(asg.launchConfigurationName) ?? null, account, region)
      : null;
  const loadBalancers = links(serverGroup, 'loadBalancers');
  const targetGroups = links(serverGroup, 'targetGroups');
  const instances = links(serverGroup, 'instances');
  const attributes: Record<string, unknown> = {
    application,
    asg: toV1(AutoScalingGroup$, asg, 'jackson'),
    region,
    name,
    launchConfigName: str(asg.launchConfigurationName),
    zones: list(asg.availabilityZones),
    instances: list(asg.instances).map((i) => toV1(AsgInstance$, i, 'jackson')),
    vpcId: str(serverGroup.attributes.vpcId),
    scalingPolicies: list(serverGroup.attributes.scalingPolicies).map(scalingPolicy),
    scheduledActions: list(serverGroup.attributes.scheduledActions).map((a) =>
      toV1(ScheduledUpdateGroupAction$, a, 'jackson'),
    ),
    // The names in the order of the ARNs, once each (AsgData collects them `as Set`, a LinkedHashSet).
    targetGroups: [
      ...new Set(
        list(asg.targetGroupARNs).flatMap((arn) => {
          const info = typeof arn === 'string' ? parseElbArn(arn) : undefined;
          return info?.kind === 'targetgroup' ? [info.name] : [];
        }),
      ),
    ],
  };
  plan.upsert({
    type: 'serverGroups',
    agent,
    data: {
      id: serverGroup.key,
      attributes,
      relationships: {
        applications: links(serverGroup, 'applications'),
        clusters: links(serverGroup, 'clusters'),
        loadBalancers,
        targetGroups,
        launchConfigs: [launchConfig],
        launchTemplates: [launchTemplate],
        instances,
      },
      ttlSeconds: -1,
    },
  });

  const edges: Edge[] = instances.filter(exists).map((i) => edge(i, 'instances', serverGroup.key, owned));
  for (const lb of loadBalancers.filter(exists))
    edges.push(edge(lb, 'loadBalancers', serverGroup.key, owned));
  for (const tg of targetGroups.filter(exists)) edges.push(edge(tg, 'targetGroups', serverGroup.key, owned));
  if (launchConfig !== null) edges.push(edge(launchConfig, 'launchConfigs', serverGroup.key, owned));
  if (launchTemplate !== null && exists(launchTemplate)) {
    edges.push(edge(launchTemplate, 'launchTemplates', serverGroup.key, owned));
  }
  plan.edges({ type: 'serverGroups', key: serverGroup.key, relAgents: [owned] }, edges);
}

function edge(source: string, sourceType: string, serverGroup: string, owned: string): Edge {
  return { a: source, aType: sourceType, b: serverGroup, bType: 'serverGroups', relAgent: owned };
}

function scalingPolicy(policy: unknown): Record<string, unknown> {
  const converted = toV1(ScalingPolicy$, policy, 'jackson');
  converted.alarms = list(obj(policy).alarms).map((alarm) => toV1(MetricAlarm$, alarm, 'jackson'));
  return converted;
}

/** Name, cluster and (lower-case) application of a server group, from its key. */
export function serverGroupParts(
  serverGroup: Pick<StoredResource, 'key'>,
): { name: string; cluster: string; application: string | null } | undefined {
  const parsed = parseCacheKey(serverGroup.key);
  if (parsed?.type !== 'serverGroups') return undefined;
  const app = parseFriggaName(parsed.serverGroup).app;
  return {
    name: parsed.serverGroup,
    cluster: parsed.cluster,
    application: app === null ? null : app.toLowerCase(),
  };
}
