import { type RefreshTarget, refreshCoalescingKey } from '@event-cache/events';
import type { RefreshOrigin } from '../entities';
import type { RefreshEnqueue } from './refresh-request.repository';

/**
 * The refresh request for a decision's (or an on-demand call's) target, in the shape the refresh
 * worker reads: `key` is the exact Clouddriver key, or for a partial target its coalescing key
 * (a partial glob is not unique: launch templates by id ...); `target` always says what to read
 * (`{id, idKind, partial}`), plus the glob as `pattern` for partial targets. `extra` carries
 * hints a reader may use (e.g. the `vpcId` of a security group asked for by name).
 */
export function refreshRequestFor(
  target: RefreshTarget,
  origin: RefreshOrigin,
  requestedAt: Date,
  extra: Record<string, string> = {},
): RefreshEnqueue {
  return {
    type: target.type,
    key: refreshCoalescingKey(target),
    account: target.account,
    region: target.region,
    origin,
    requestedAt,
    target: {
      ...extra,
      id: target.id,
      idKind: target.idKind,
      partial: target.partial,
      ...(target.partial ? { pattern: target.key } : {}),
    },
  };
}
