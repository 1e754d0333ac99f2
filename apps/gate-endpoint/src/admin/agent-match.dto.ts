import type { AgentMatch } from '@event-cache/cache-store';
import { CodedError } from '@event-cache/platform';
import { z } from 'zod';
import { formats } from '../common/request-input.util';

/** Selecting agents: by id glob (`prod/*\/InstanceCachingAgent`) and/or account, region, kind. */
export const agentMatchFields = {
  agentId: formats.agentIdGlob
    .optional()
    .describe('agent id or glob, e.g. prod/*/InstanceCachingAgent ("*" = every agent)'),
  account: formats.account.optional(),
  region: formats.region.optional(),
  kind: formats.agentKind.optional().describe('agent kind, e.g. InstanceCachingAgent'),
};

export const agentMatchSchema = z.strictObject(agentMatchFields);

/**
 * The store's match for the given fields. An empty match is refused rather than read as "every
 * agent": a forgotten field must not change the whole fleet (`agentId: "*"` says so on purpose).
 */
export function toAgentMatch(fields: {
  agentId?: string;
  account?: string;
  region?: string;
  kind?: string;
  kinds?: string[];
}): AgentMatch {
  const match: AgentMatch = {
    ...(fields.agentId !== undefined ? { agentIdGlob: fields.agentId } : {}),
    ...(fields.account !== undefined ? { account: fields.account } : {}),
    ...(fields.region !== undefined ? { region: fields.region } : {}),
    ...(fields.kind !== undefined ? { kind: fields.kind } : {}),
    ...(fields.kinds !== undefined ? { kinds: fields.kinds } : {}),
  };
  if (Object.keys(match).length === 0) {
    throw new CodedError(
      'schema_violation',
      'match: name at least one of agentId, account, region, kind ("agentId": "*" selects every agent)',
    );
  }
  return match;
}
