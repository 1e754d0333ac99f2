import { parseCacheKey, type ParsedCacheKey } from '@event-cache/events';
import type { ClaimedRefresh } from '../ports';
import type { RefreshItem } from '../targeted-refresher';

/**
 * The refresher's view of a claimed request. The request's `target` (`{id, idKind, partial,
 * pattern?}`, written by the event scheduler, the on-demand API and refreshers' follow-ups) says
 * what to read; for a partial target the item's key is the glob `pattern`. Its other members reach
 * the refresher as `hints`. A request without a target falls back to
 * its exact key. Returns a reason when the request can never be served.
 */
export function toRefreshItem(request: ClaimedRefresh): RefreshItem | { invalid: string } {
  const target = request.target;
  if (target && typeof target === 'object') {
    const { id, idKind, partial, pattern } = target;
    if (typeof id !== 'string' || id === '' || typeof idKind !== 'string' || idKind === '') {
      return { invalid: 'target needs a non-empty id and idKind' };
    }
    if (partial !== undefined && typeof partial !== 'boolean')
      return { invalid: 'target.partial must be a boolean' };
    if (pattern !== undefined && typeof pattern !== 'string')
      return { invalid: 'target.pattern must be a string' };
    const isPartial = partial === true;
    const hints = hintsOf(target);
    return {
      requestId: request.id,
      key: isPartial ? (pattern ?? request.key) : request.key,
      id,
      idKind,
      partial: isPartial,
      ...(hints && { hints }),
    };
  }
  const fromKey = idOfKey(parseCacheKey(request.key));
  if (!fromKey || fromKey.type !== request.type)
    return { invalid: `no target and the key is not a ${request.type} key` };
  return { requestId: request.id, key: request.key, id: fromKey.id, idKind: fromKey.idKind, partial: false };
}

const ADDRESSING = new Set(['id', 'idKind', 'partial', 'pattern']);

/** The target's members besides what addresses the resource, or undefined when there are none. */
function hintsOf(target: Record<string, unknown>): Record<string, unknown> | undefined {
  const entries = Object.entries(target).filter(([name]) => !ADDRESSING.has(name));
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

function idOfKey(key: ParsedCacheKey | undefined): { type: string; id: string; idKind: string } | null {
  switch (key?.type) {
    case 'instances':
      return { type: key.type, id: key.instanceId, idKind: 'instanceId' };
    case 'serverGroups':
      return { type: key.type, id: key.serverGroup, idKind: 'autoScalingGroupName' };
    case 'launchTemplates':
      return { type: key.type, id: key.launchTemplateName, idKind: 'launchTemplateName' };
    case 'loadBalancers':
      return { type: key.type, id: key.loadBalancer, idKind: 'loadBalancerName' };
    case 'targetGroups':
      return { type: key.type, id: key.targetGroup, idKind: 'targetGroupName' };
    case 'securityGroups':
      return { type: key.type, id: key.id, idKind: 'securityGroupId' };
    case 'subnets':
      return { type: key.type, id: key.id, idKind: 'subnetId' };
    case 'vpcs':
      return { type: key.type, id: key.id, idKind: 'vpcId' };
    default:
      return null;
  }
}
