import { parseCacheKey, parseFriggaName } from '@event-cache/events';
import { agentType, CLOUDDRIVER_AGENT, relAgent } from '../clouddriver-agents';
import type { Edge, ProjectionPlan } from '../plan';
import { serverGroupParts } from './server-groups.projector';
import { links, sortedUnique, type StoredResource } from './stored-resource';

/**
 * The rows ClusterCachingAgent writes for what an account/region's server groups have in common:
 * its `clusters` and `applications` rows (one per agent, that is per account and region, as the
 * agent of each region writes its own) and the informative links of load balancers and target
 * groups to the applications of the server groups behind them. Each is computed from the server
 * groups the store holds now; a cluster or application with no server group left in that
 * account/region loses its row.
 */

/** The server groups of one account/region that link to a cluster, application, LB or TG. */
export interface ScopedMembers {
  key: string;
  account: string;
  region: string;
  members: StoredResource[];
}

export function projectCluster(unit: ScopedMembers, plan: ProjectionPlan): void {
  const agent = agentType(unit.account, unit.region, CLOUDDRIVER_AGENT.cluster);
  if (unit.members.length === 0) {
    plan.delete('clusters', unit.key, agent);
    return;
  }
  const parsed = parseCacheKey(unit.key);
  if (parsed?.type !== 'clusters') return;
  const application = parsed.application;
  plan.upsert({
    type: 'clusters',
    agent,
    data: {
      id: unit.key,
      attributes: { name: parsed.cluster, application },
      relationships: {
        applications: sortedUnique(unit.members.flatMap((m) => links(m, 'applications'))),
        serverGroups: sortedUnique(unit.members.map((m) => m.key)),
        loadBalancers: sortedUnique(unit.members.flatMap((m) => links(m, 'loadBalancers'))),
        targetGroups: sortedUnique(unit.members.flatMap((m) => links(m, 'targetGroups'))),
      },
      ttlSeconds: -1,
    },
  });
}

export function projectApplication(unit: ScopedMembers, plan: ProjectionPlan): void {
  const agent = agentType(unit.account, unit.region, CLOUDDRIVER_AGENT.cluster);
  if (unit.members.length === 0) {
    plan.delete('applications', unit.key, agent);
    return;
  }
  const parsed = parseCacheKey(unit.key);
  if (parsed?.type !== 'applications') return;
  const names = unit.members
    .map((m) => serverGroupParts(m)?.name)
    .filter((n): n is string => n !== undefined);
  plan.upsert({
    type: 'applications',
    agent,
    data: {
      id: unit.key,
      // The agent names the application as the Frigga app of its server groups' names.
      attributes: { name: parseFriggaName(names.sort()[0]).app?.toLowerCase() ?? parsed.application },
      relationships: {
        clusters: sortedUnique(unit.members.flatMap((m) => links(m, 'clusters'))),
        serverGroups: sortedUnique(unit.members.map((m) => m.key)),
        loadBalancers: sortedUnique(unit.members.flatMap((m) => links(m, 'loadBalancers'))),
        targetGroups: sortedUnique(unit.members.flatMap((m) => links(m, 'targetGroups'))),
      },
      ttlSeconds: -1,
    },
  });
}

/**
 * The informative `applications` links of a load balancer or target group: one per application
 * whose server groups in that account/region are behind it.
 */
export function projectBalancerApplications(
  unit: ScopedMembers & { type: 'loadBalancers' | 'targetGroups' },
  plan: ProjectionPlan,
): void {
  const agent = agentType(unit.account, unit.region, CLOUDDRIVER_AGENT.cluster);
  const applications = relAgent('applications', agent);
  const edges: Edge[] = sortedUnique(unit.members.flatMap((m) => links(m, 'applications'))).map((app) => ({
    a: unit.key,
    aType: unit.type,
    b: app,
    bType: 'applications',
    relAgent: applications,
  }));
  plan.edges({ type: unit.type, key: unit.key, relAgents: [applications], relType: 'applications' }, edges);
}
