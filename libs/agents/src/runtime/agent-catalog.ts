import type { AgentAccount, AnyCachingAgent, CachingAgentProvider } from '../caching-agent';
import type { TargetedRefresher } from '../targeted-refresher';

/** One agent this replica can run, with the account it reads. */
export interface AgentEntry {
  readonly agent: AnyCachingAgent;
  readonly account: AgentAccount;
}

/** Thrown at start-up when agents or refreshers are registered inconsistently. */
export class AgentRegistrationError extends Error {
  override readonly name = 'AgentRegistrationError';
}

/**
 * Every agent of this replica (each provider × configured account × region) and the refresher of
 * each key type. Built once at start-up; ids and types are checked to be unique.
 */
export class AgentCatalog {
  readonly entries: readonly AgentEntry[];
  private readonly byId: ReadonlyMap<string, AgentEntry>;
  private readonly byType: ReadonlyMap<string, TargetedRefresher>;

  constructor(
    accounts: readonly AgentAccount[],
    providers: readonly CachingAgentProvider[],
    refreshers: readonly TargetedRefresher[] = [],
  ) {
    const byId = new Map<string, AgentEntry>();
    for (const provider of providers) {
      for (const account of accounts) {
        for (const { name: region } of account.regions) {
          const agent = provider.create(account, region);
          const expected = `${account.name}/${region}/${provider.kind}`;
          if (agent.id !== expected || agent.kind !== provider.kind) {
            throw new AgentRegistrationError(
              `provider ${provider.kind} created agent ${agent.id} (kind ${agent.kind}); expected ${expected}`,
            );
          }
          if (!hasReadMethod(agent)) {
            throw new AgentRegistrationError(
              `agent ${agent.id} has neither stream(ctx) nor load(ctx): implement StreamingCachingAgent or CachingAgent`,
            );
          }
          if (byId.has(agent.id)) throw new AgentRegistrationError(`agent ${agent.id} is registered twice`);
          byId.set(agent.id, { agent, account });
        }
      }
    }
    const byType = new Map<string, TargetedRefresher>();
    for (const refresher of refreshers) {
      for (const type of refresher.types) {
        if (byType.has(type)) throw new AgentRegistrationError(`two refreshers serve the type ${type}`);
        byType.set(type, refresher);
      }
    }
    this.entries = [...byId.values()];
    this.byId = byId;
    this.byType = byType;
  }

  get(agentId: string): AgentEntry | undefined {
    return this.byId.get(agentId);
  }

  agentIds(): string[] {
    return [...this.byId.keys()];
  }

  /** Agents of one account/region. */
  inScope(account: string, region: string): AgentEntry[] {
    return this.entries.filter((e) => e.agent.account === account && e.agent.region === region);
  }

  refresherFor(type: string): TargetedRefresher | undefined {
    return this.byType.get(type);
  }

  /** Key types some refresher serves (the only ones the refresh worker claims). */
  refreshTypes(): string[] {
    return [...this.byType.keys()];
  }
}

/** A JavaScript caller (or a cast) can hand over an object without either read method. */
function hasReadMethod(agent: AnyCachingAgent): boolean {
  const methods = agent as { stream?: unknown; load?: unknown };
  return typeof methods.stream === 'function' || typeof methods.load === 'function';
}
