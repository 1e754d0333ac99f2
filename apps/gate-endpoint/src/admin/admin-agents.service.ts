import { Injectable, Logger } from '@nestjs/common';
import { type AgentScheduleView, CacheStore, type Lease } from '@event-cache/cache-store';
import { CodedError, MetricsService, parseInput } from '@event-cache/platform';
import { AppErrorCode } from '../error-status';
import { agentListQuery, refreshNowSchema } from './admin.dto';
import { agentMatchSchema, toAgentMatch } from './agent-match.dto';

export interface AgentView {
  id: string;
  provider: string;
  kind: string;
  account: string;
  region: string;
  interval: {
    ms: number;
    reason: string;
    baseMs: number;
    dynamicFactor: number;
    override: {
      intervalMs: number | null;
      factor: number | null;
      expiresAt: string | null;
      setBy: string | null;
      reason: string | null;
    } | null;
  };
  paused: boolean;
  nextRunAt: string;
  lease: { owner: string; expiresAt: string } | null;
  lastRun: {
    startedAt: string;
    durationMs: number | null;
    additions: number | null;
    evictions: number | null;
    error: string | null;
  } | null;
  totals: { additions: number; evictions: number };
}

/** Admin: list agents with their schedule and lease; pause, resume, run now. */
@Injectable()
export class AdminAgentsService {
  private readonly logger = new Logger(AdminAgentsService.name);
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

  async list(query: unknown): Promise<AgentView[]> {
    const filter = parseInput(agentListQuery, query, 'query');
    const agents = await this.store.schedules.list({
      ...(filter.agentId !== undefined ? { agentIdGlob: filter.agentId } : {}),
      ...(filter.account !== undefined ? { account: filter.account } : {}),
      ...(filter.region !== undefined ? { region: filter.region } : {}),
      ...(filter.kind !== undefined ? { kind: filter.kind } : {}),
    });
    const leases = await this.store.leases.held(agents.map((a) => a.agentId));
    return agents.map((a) => toView(a, leases.get(a.agentId)));
  }

  async setPaused(body: unknown, paused: boolean): Promise<{ agents: string[] }> {
    const match = toAgentMatch(parseInput(agentMatchSchema, body));
    const agents = await this.store.schedules.setPaused(match, paused);
    return this.changed(paused ? 'pause' : 'resume', match, agents);
  }

  /** Makes every matched agent due now: a full refresh of what they cache. */
  async runNow(body: unknown): Promise<{ agents: string[] }> {
    const match = toAgentMatch(parseInput(refreshNowSchema, body));
    const agents = await this.store.schedules.runNow(match);
    return this.changed('refresh', match, agents);
  }

  private changed(action: string, match: object, agents: string[]): { agents: string[] } {
    if (agents.length === 0) throw new CodedError(AppErrorCode.NoAgentsMatched, 'no agent matched');
    this.actions.inc({ action });
    this.logger.log({ msg: `admin ${action}`, match, agents: agents.length });
    return { agents };
  }
}

function toView(a: AgentScheduleView, lease: Lease | undefined): AgentView {
  return {
    id: a.agentId,
    provider: a.provider,
    kind: a.kind,
    account: a.account,
    region: a.region,
    interval: {
      ms: a.intervalMs,
      reason: a.intervalReason,
      baseMs: a.baseIntervalMs,
      dynamicFactor: a.dynamicFactor,
      override: a.override && {
        intervalMs: a.override.intervalMs,
        factor: a.override.factor,
        expiresAt: a.override.expiresAt?.toISOString() ?? null,
        setBy: a.override.setBy,
        reason: a.override.reason,
      },
    },
    paused: a.paused,
    nextRunAt: a.nextRunAt.toISOString(),
    lease: lease ? { owner: lease.owner, expiresAt: lease.expiresAt.toISOString() } : null,
    lastRun: a.lastRun && {
      startedAt: a.lastRun.startedAt.toISOString(),
      durationMs: a.lastRun.durationMs,
      additions: a.lastRun.additions,
      evictions: a.lastRun.evictions,
      error: a.lastRun.error,
    },
    totals: { additions: a.totalAdditions, evictions: a.totalEvictions },
  };
}
