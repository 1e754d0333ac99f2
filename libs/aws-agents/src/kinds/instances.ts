import { DescribeInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import type { CacheRecord, FollowUpRefresh, RefreshItem } from '@event-cache/agents';
import {
  instanceKey,
  parseCacheKey,
  parseFriggaName,
  refreshCoalescingKey,
  type RefreshTarget,
  serverGroupKey,
  targetGroupKey,
} from '@event-cache/events';
import { attributesOf, str, tagValue } from '../aws/attributes';
import { idsNamedInError, NOT_FOUND_ERROR_NAMES } from '../aws/aws-errors';
import { allPages, eachPage, readIsolatingMissing } from '../aws/batching';
import {
  CONFIG_RESOURCE_TYPES,
  ConfigSourceReader,
  unprocessedFailures,
} from '../config-source/config-source.reader';
import { AWS_AGENT_KINDS } from '../aws-agents.model';
import { AwsCachingAgent, type AwsScope } from './aws-caching-agent';
import { AwsTargetedRefresher, type IdReader, readInChunks, recordsById } from './aws-targeted-refresher';

/** DescribeInstances takes up to 1,000 explicit instance ids (and pages of up to 1,000). */
const IDS_PER_CALL = 1_000;
const INSTANCE_ID = /\bi-[0-9a-f]{8,17}\b/g;
/** States worth caching: a terminated instance is gone (AWS lists it for about an hour). */
const LIVE_STATES = ['pending', 'running', 'shutting-down', 'stopping', 'stopped'];
const AUTOSCALING_GROUP_TAG = 'aws:autoscaling:groupName';

/**
 * An instance record: attributes = the EC2 `Instance` in camelCase; relationship to its server
 * group from the `aws:autoscaling:groupName` tag (when that name follows Frigga). Terminated
 * instances make no record.
 */
export function instanceRecord(
  attributes: Record<string, unknown>,
  scope: AwsScope,
): CacheRecord | undefined {
  const instanceId = str(attributes.instanceId);
  const state = (attributes.state as { name?: unknown } | undefined)?.name;
  if (instanceId === undefined || state === 'terminated') return undefined;
  const account = scope.account.name;
  const region = scope.region;
  const asg = tagValue(attributes.tags, AUTOSCALING_GROUP_TAG);
  const sgKey = asg === undefined ? undefined : serverGroupKey({ account, region, serverGroup: asg });
  const app = asg === undefined ? null : parseFriggaName(asg).app;
  return {
    key: instanceKey({ account, region, instanceId }),
    type: 'instances',
    account,
    region,
    application: app === null ? null : app.toLowerCase(),
    attributes,
    relationships: sgKey === undefined ? {} : { serverGroups: [sgKey] },
  };
}

function fromSdk(scope: AwsScope) {
  return (instance: Instance) => instanceRecord(attributesOf(instance), scope);
}

function flatten(pages: { Reservations?: { Instances?: Instance[] }[] }[]): Instance[] {
  return pages.flatMap((p) => (p.Reservations ?? []).flatMap((r) => r.Instances ?? []));
}

/**
 * Every instance of the account/region, a page at a time: DescribeInstances, 1,000 per page, live
 * states only (or AWS Config, in batches of 1,000).
 */
export async function* instancePages(scope: AwsScope, signal: AbortSignal): AsyncGenerator<CacheRecord[]> {
  if (scope.account.configSource) {
    yield* new ConfigSourceReader(scope).selectPages(CONFIG_RESOURCE_TYPES.instances, signal, (c) =>
      instanceRecord(c, scope),
    );
    return;
  }
  const ec2 = scope.clients.ec2(scope.account, scope.region);
  yield* eachPage(
    signal,
    (NextToken) =>
      ec2.send(
        new DescribeInstancesCommand({
          Filters: [{ Name: 'instance-state-name', Values: LIVE_STATES }],
          MaxResults: IDS_PER_CALL,
          NextToken,
        }),
        { abortSignal: signal },
      ),
    (page) => page.NextToken,
    (page) => flatten([page]).flatMap((i) => fromSdk(scope)(i) ?? []),
  );
}

/**
 * Instances by id: one DescribeInstances per 1,000 ids. `InvalidInstanceID.NotFound` fails the
 * whole call; the ids its message names are set aside and the rest is read again (bisection when
 * the message names none). A terminated instance counts as gone.
 */
export const readInstancesById: IdReader = (scope, ids, signal) => {
  if (scope.account.configSource) return readInstancesFromConfig(scope, ids, signal);
  const ec2 = scope.clients.ec2(scope.account, scope.region);
  return readInChunks(ids, IDS_PER_CALL, signal, async (part) => {
    const { found } = await readIsolatingMissing(
      part,
      async (InstanceIds) => {
        const pages = await allPages(
          signal,
          (NextToken) =>
            ec2.send(new DescribeInstancesCommand({ InstanceIds, NextToken }), { abortSignal: signal }),
          (page) => page.NextToken,
        );
        return flatten(pages);
      },
      {
        notFound: NOT_FOUND_ERROR_NAMES.instance,
        idsInError: (error) => idsNamedInError(error, INSTANCE_ID),
      },
    );
    return recordsById(found, (i) => i.InstanceId, fromSdk(scope));
  });
};

const readInstancesFromConfig: IdReader = (scope, ids, signal) =>
  readInChunks(ids, IDS_PER_CALL, signal, async (part) => {
    const { items, unprocessed } = await new ConfigSourceReader(scope).batchGet(
      CONFIG_RESOURCE_TYPES.instances,
      part,
      signal,
    );
    return {
      byId: recordsById(
        items,
        (i) => i.resourceId,
        (i) => instanceRecord(i.configuration, scope),
      ),
      failed: unprocessedFailures(unprocessed),
    };
  });

/** Clouddriver's InstanceCachingAgent: every instance of the account/region. */
export class InstanceCachingAgent extends AwsCachingAgent {
  static readonly KIND = AWS_AGENT_KINDS.instances;
  readonly authoritativeTypes = ['instances'] as const;

  constructor(scope: AwsScope) {
    super(scope, InstanceCachingAgent.KIND);
  }

  protected pages(signal: AbortSignal): AsyncIterable<CacheRecord[]> {
    return instancePages(this.scope, signal);
  }
}

/**
 * The refresh of every target group of an Auto Scaling group, read through the group (a partial
 * target: `aws:targetGroups:<account>:<region>:*:instance:*`, by `autoScalingGroupName`), asked
 * for when the instance `ifChanged` was written with a change; target health re-checks start then.
 */
function targetGroupsOfServerGroup(
  group: string,
  ifChanged: string,
  ctx: { scope: AwsScope; readStartedAt: Date },
): FollowUpRefresh {
  const account = ctx.scope.account.name;
  const region = ctx.scope.region;
  const target: RefreshTarget = {
    type: 'targetGroups',
    account,
    region,
    key: targetGroupKey({ account, region, targetGroupName: '*', targetType: 'instance', vpcId: '*' }),
    partial: true,
    id: group,
    idKind: 'autoScalingGroupName',
  };
  return {
    type: 'targetGroups',
    key: refreshCoalescingKey(target),
    target: {
      id: group,
      idKind: 'autoScalingGroupName',
      partial: true,
      pattern: target.key,
      recheckSince: ctx.readStartedAt.toISOString(),
    },
    ifChanged,
  };
}

/**
 * Targeted refreshes of `instances` by instance id. An instance of a server group that is written
 * with a change (its state, mostly) has the target groups of its server group refreshed (all of
 * them, read through the group), so the load balancers' view of the instance follows: `draining`
 * when it stops serving, `initial` -> `healthy` when it starts.
 */
export class InstanceRefresher extends AwsTargetedRefresher {
  readonly types = ['instances'] as const;
  protected readonly agentKind = InstanceCachingAgent.KIND;

  protected readers() {
    return { instanceId: readInstancesById };
  }

  protected override followUps(
    _item: RefreshItem,
    records: readonly CacheRecord[],
    ctx: { scope: AwsScope; readStartedAt: Date },
  ): FollowUpRefresh[] {
    return records.flatMap((record) =>
      (record.relationships?.serverGroups ?? []).flatMap((key) => {
        const parsed = parseCacheKey(key);
        return parsed?.type === 'serverGroups'
          ? [targetGroupsOfServerGroup(parsed.serverGroup, record.key, ctx)]
          : [];
      }),
    );
  }
}
