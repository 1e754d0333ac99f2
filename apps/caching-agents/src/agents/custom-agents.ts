import type { AgentAccount, CachingAgentProvider, TargetedRefresher } from '@event-cache/agents';
import type { AwsClientFactory } from '@event-cache/aws-agents';

/** What a registration gets: the shared AWS clients and the configured accounts. */
export interface CustomAgentDeps {
  clients: AwsClientFactory;
  accounts: readonly AgentAccount[];
}

/** One agent kind: its provider and, when its resources can be re-read by id, its targeted refresher. */
export interface CustomAgent {
  provider: CachingAgentProvider;
  refresher?: TargetedRefresher;
}

/**
 * Caching agents this app adds to the built-in AWS ones: one line each, a function from the
 * shared AWS clients and the accounts to the agent kind's provider (and refresher).
 * `npx nx g @event-cache/nx-plugin:caching-agent <Name>` scaffolds an agent and adds its line.
 */
const REGISTRATIONS: readonly ((deps: CustomAgentDeps) => CustomAgent)[] = [
  // caching-agent registrations: the generator adds new ones above this line
];

export function customAgents(deps: CustomAgentDeps): {
  providers: CachingAgentProvider[];
  refreshers: TargetedRefresher[];
} {
  const agents = REGISTRATIONS.map((register) => register(deps));
  return {
    providers: agents.map((agent) => agent.provider),
    refreshers: agents.flatMap((agent) => (agent.refresher ? [agent.refresher] : [])),
  };
}
