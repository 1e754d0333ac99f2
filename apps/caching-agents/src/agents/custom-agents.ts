import type { CachingAgentProvider } from '@event-cache/agents';
import type { AwsClientFactory } from '@event-cache/aws-agents';

/**
 * Caching agents this app adds to the built-in AWS ones: one line each, a function from the
 * shared AWS clients to the agent kind's provider. `npx nx g @event-cache/nx-plugin:caching-agent
 * <Name>` scaffolds an agent and adds its line.
 */
const REGISTRATIONS: readonly ((clients: AwsClientFactory) => CachingAgentProvider)[] = [
  // caching-agent registrations: the generator adds new ones above this line
];

export function customAgentProviders(clients: AwsClientFactory): CachingAgentProvider[] {
  return REGISTRATIONS.map((register) => register(clients));
}
