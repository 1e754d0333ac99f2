import type { AgentScheduleState, AgentSchedulesPort, PipelineHealthPort } from '../ports';
import type { AgentCatalog, AgentEntry } from './agent-catalog';
import type { RunOutcome, SchedulerMetrics } from './agents.metrics';
import type { Clock } from './clock';
import { formatDuration, type IntervalPolicy } from './interval.policy';
import { RunPhases } from './run-phases';
import type { AgentLogger } from './runtime-options';

interface Change {
  entry: AgentEntry;
  recorded: AgentScheduleState;
  dynamicFactor: number;
  consecutiveThrottles: number;
}

/**
 * Keeps every agent's interval in force and records each change with its reason: reads the
 * schedules (admin overrides, the shared throttling factor) and the pipeline health, backs an
 * account/region off on throttling and walks it back on success. When an interval shrinks, the
 * next run is brought forward, so a pipeline turning unhealthy falls back to polling at once. It
 * also keeps every agent's phase (`RunPhases`) from the schedule of all replicas.
 */
export class ScheduleTuner {
  private states = new Map<string, AgentScheduleState>();
  private healthy = new Set<string>();
  private readonly phases = new RunPhases();

  constructor(
    private readonly deps: {
      catalog: AgentCatalog;
      schedules: AgentSchedulesPort;
      health: PipelineHealthPort;
      policy: IntervalPolicy;
      clock: Clock;
      metrics: SchedulerMetrics;
      logger: AgentLogger;
      maxThrottleFactor: number;
    },
  ) {}

  /** Re-reads schedules and pipeline health; records changed intervals. */
  async sync(): Promise<void> {
    const now = this.deps.clock.now();
    const [rows, pipelines] = await Promise.all([this.deps.schedules.list(), this.deps.health.list(now)]);
    this.healthy = new Set(pipelines.filter((p) => p.healthy).map((p) => scope(p.account, p.region)));
    this.states = new Map(rows.map((r) => [r.agentId, r]));
    this.phases.update(rows);
    const changes: Change[] = [];
    for (const entry of this.deps.catalog.entries) {
      const recorded = this.states.get(entry.agent.id);
      if (recorded) changes.push({ entry, recorded, ...factorOf(recorded) });
    }
    await this.record(changes, now);
  }

  /** The interval the agent runs at now. */
  intervalFor(entry: AgentEntry): number {
    const state = this.states.get(entry.agent.id);
    return this.decide(entry, state?.dynamicFactor ?? 1, state?.override ?? null, this.deps.clock.now())
      .intervalMs;
  }

  /** Where in its interval the agent runs (`RunPhases`): a fraction in [0, 1). */
  phaseOf(entry: AgentEntry): number {
    return this.phases.of(entry.agent.id);
  }

  /**
   * After a run: throttling doubles its account/region's factor (capped). A success walks it back
   * (halves it) once no agent of the account/region is still throttled, so siblings that happen
   * to succeed do not cancel the back-off while one agent keeps being throttled.
   */
  async recordOutcome(entry: AgentEntry, outcome: RunOutcome): Promise<void> {
    if (outcome === 'throttled') {
      await this.adjust(entry, true, (factor) => Math.min(this.deps.maxThrottleFactor, factor * 2));
    } else if (outcome === 'success') {
      const state = this.states.get(entry.agent.id);
      if (state && (state.dynamicFactor > 1 || state.consecutiveThrottles > 0)) {
        await this.adjust(entry, false, (factor, others) =>
          others.some((r) => r.consecutiveThrottles > 0) ? factor : Math.max(1, factor / 2),
        );
      }
    }
  }

  private async adjust(
    entry: AgentEntry,
    throttled: boolean,
    next: (factor: number, others: AgentScheduleState[]) => number,
  ): Promise<void> {
    const { account, region } = entry.agent;
    // Fresh rows: other replicas may have moved the factor since the last sync.
    const rows = await this.deps.schedules.list({ account, region });
    for (const row of rows) this.states.set(row.agentId, row);
    const current = Math.max(1, ...rows.map((r) => r.dynamicFactor));
    const factor = next(
      current,
      rows.filter((r) => r.agentId !== entry.agent.id),
    );
    const changes: Change[] = [];
    for (const row of rows) {
      const other = this.deps.catalog.get(row.agentId);
      if (!other) continue;
      const own = row.agentId === entry.agent.id;
      changes.push({
        entry: other,
        recorded: row,
        dynamicFactor: factor,
        consecutiveThrottles: own ? (throttled ? row.consecutiveThrottles + 1 : 0) : row.consecutiveThrottles,
      });
    }
    if (factor !== current) {
      this.deps.logger.warn(
        `${account}/${region}: throttling factor ${current} -> ${factor} after a ${throttled ? 'throttled' : 'successful'} run of ${entry.agent.id}`,
      );
    }
    this.deps.metrics.throttleFactor(account, region, factor);
    await this.record(changes, this.deps.clock.now());
  }

  private async record(changes: Change[], now: Date): Promise<void> {
    const updates = [];
    const earlier = [];
    for (const { entry, recorded, dynamicFactor, consecutiveThrottles } of changes) {
      const decision = this.decide(entry, dynamicFactor, recorded.override, now);
      if (
        decision.intervalMs === recorded.intervalMs &&
        decision.reason === recorded.intervalReason &&
        dynamicFactor === recorded.dynamicFactor &&
        consecutiveThrottles === recorded.consecutiveThrottles
      ) {
        continue;
      }
      const agentId = entry.agent.id;
      updates.push({ agentId, ...decision, dynamicFactor, consecutiveThrottles });
      if (decision.intervalMs < recorded.intervalMs) {
        const from = recorded.lastRun?.startedAt.getTime() ?? now.getTime();
        earlier.push({ agentId, runBy: new Date(Math.max(now.getTime(), from + decision.intervalMs)) });
      }
      if (decision.intervalMs !== recorded.intervalMs) {
        this.deps.logger.debug?.(
          `${agentId}: interval ${formatDuration(recorded.intervalMs)} -> ${formatDuration(decision.intervalMs)}: ${decision.reason}`,
        );
      }
      this.states.set(agentId, {
        ...recorded,
        intervalMs: decision.intervalMs,
        intervalReason: decision.reason,
        dynamicFactor,
        consecutiveThrottles,
      });
    }
    if (updates.length) {
      await this.deps.schedules.updateIntervals(updates);
      this.deps.metrics.intervalsChanged(updates.length);
    }
    if (earlier.length) await this.deps.schedules.bringForward(earlier);
  }

  private decide(
    entry: AgentEntry,
    dynamicFactor: number,
    override: AgentScheduleState['override'],
    now: Date,
  ) {
    return this.deps.policy.compute({
      kind: entry.agent.kind,
      environment: entry.account.environment,
      defaultIntervalMs: entry.agent.defaultIntervalMs,
      pipelineHealthy: this.healthy.has(scope(entry.agent.account, entry.agent.region)),
      dynamicFactor,
      override,
      now,
    });
  }
}

function factorOf(state: AgentScheduleState) {
  return { dynamicFactor: state.dynamicFactor, consecutiveThrottles: state.consecutiveThrottles };
}

function scope(account: string, region: string): string {
  return `${account}/${region}`;
}
