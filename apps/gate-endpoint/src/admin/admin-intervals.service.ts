import { Injectable, Logger } from '@nestjs/common';
import { CacheStore } from '@event-cache/cache-store';
import { CodedError, MetricsService, parseInput } from '@event-cache/platform';
import { AppErrorCode } from '../error-status';
import { intervalOverrideSchema } from './admin.dto';
import { agentMatchSchema, toAgentMatch } from './agent-match.dto';

/** Admin: interval overrides (who and why are kept with each), and their removal. */
@Injectable()
export class AdminIntervalsService {
  private readonly logger = new Logger(AdminIntervalsService.name);
  private readonly actions;

  constructor(
    private readonly store: CacheStore,
    metrics: MetricsService,
  ) {
    this.actions = metrics.counter({
      name: 'admin_actions_total',
      help: 'Admin API changes by action',
      labelNames: ['action'],
    });
  }

  async set(body: unknown): Promise<{ agents: string[] }> {
    const input = parseInput(intervalOverrideSchema, body);
    const match = toAgentMatch(input);
    const expiresAt =
      input.expiresAt !== undefined
        ? new Date(input.expiresAt)
        : input.ttlSeconds !== undefined
          ? new Date(Date.now() + input.ttlSeconds * 1000)
          : null;
    const agents = await this.store.schedules.setOverride(match, {
      ...(input.seconds !== undefined ? { intervalMs: input.seconds * 1000 } : { factor: input.factor! }),
      expiresAt,
      setBy: `admin:${input.setBy ?? 'api'}`,
      reason: input.reason,
    });
    if (agents.length === 0) throw new CodedError(AppErrorCode.NoAgentsMatched, 'no agent matched');
    this.actions.inc({ action: 'set_interval' });
    this.logger.log({ msg: 'admin interval override', match, agents: agents.length, reason: input.reason });
    return { agents };
  }

  /** Removes overrides; answers the agents that had one (idempotent: none left is not an error). */
  async clear(query: unknown): Promise<{ agents: string[] }> {
    const match = toAgentMatch(parseInput(agentMatchSchema, query, 'query'));
    const agents = await this.store.schedules.clearOverride(match);
    this.actions.inc({ action: 'clear_interval' });
    this.logger.log({ msg: 'admin interval override removed', match, agents: agents.length });
    return { agents };
  }
}
