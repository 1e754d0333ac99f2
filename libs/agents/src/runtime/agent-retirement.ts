import type { AgentSchedulesPort } from '../ports';
import type { SchedulerMetrics } from './agents.metrics';
import type { Clock } from './clock';
import type { AgentLogger } from './runtime-options';

type Registrations = Parameters<AgentSchedulesPort['register']>[0];

export interface RetirementDeps {
  schedules: AgentSchedulesPort;
  clock: Clock;
  metrics: SchedulerMetrics;
  logger: AgentLogger;
  /** 0 = never retire (and never re-affirm). */
  retireAfterMs: number;
  /** This replica's agents as it registers them. */
  registrations(): Registrations;
}

const LOGGED_IDS = 20;

/**
 * Retires the agents of accounts, regions and kinds that left the configuration, safely while
 * replicas with different configurations run side by side (a rolling deploy, a rollback):
 * every replica re-affirms its own agents (`register`, at start-up and then every quarter of
 * `retireAfterMs`), and an agent nobody affirmed for `retireAfterMs` (and not leased) is retired
 * with its lease and the cache records it owns. A replica only retires others once it has run for
 * `retireAfterMs` itself, so replicas coming back together after an outage first affirm theirs.
 */
export class AgentRetirement {
  private readonly startedAt: number;
  private affirmedAt: number;

  /** Call once this replica's agents are registered. */
  constructor(private readonly deps: RetirementDeps) {
    this.startedAt = deps.clock.now().getTime();
    this.affirmedAt = this.startedAt;
  }

  /** Affirms and retires when it is time to (called from the scheduler's sync loop). */
  async tick(): Promise<void> {
    const { retireAfterMs, schedules, clock } = this.deps;
    const now = clock.now().getTime();
    if (retireAfterMs <= 0 || now - this.affirmedAt < retireAfterMs / 4) return;
    // Rows affirmed within the last quarter are not rewritten: each row is written about every
    // quarter to half of the window and is never older than half of it while this replica lives.
    await schedules.register(this.deps.registrations(), { affirmAfterMs: retireAfterMs / 4 });
    this.affirmedAt = now;
    if (now - this.startedAt < retireAfterMs) return;
    const { agentIds, evicted } = await schedules.retireUnseen({ unseenForMs: retireAfterMs });
    if (agentIds.length === 0) return;
    this.deps.metrics.agentsRetired(agentIds.length, evicted);
    const shown = agentIds.slice(0, LOGGED_IDS).join(', ') + (agentIds.length > LOGGED_IDS ? ', ...' : '');
    this.deps.logger.log(
      `retired ${agentIds.length} agent(s) no running replica has in its configuration, with the ${evicted} cache record(s) they owned: ${shown}`,
    );
  }
}
