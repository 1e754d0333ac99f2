import type { AgentScheduleState } from '../ports';
import type { PollingPolicy } from './runtime-options';

/** The longest interval the scheduler sets (the schedule stores milliseconds as a 32-bit integer). */
export const MAX_INTERVAL_MS = 24 * 3_600_000;

export interface IntervalInput {
  kind: string;
  environment: string;
  /** The agent's own default base interval, if it has one. */
  defaultIntervalMs?: number;
  /** The account/region's event pipeline is healthy (a recent heartbeat). */
  pipelineHealthy: boolean;
  /** Throttling back-off factor of the account/region. */
  dynamicFactor: number;
  override: AgentScheduleState['override'];
  now: Date;
}

export interface IntervalDecision {
  intervalMs: number;
  /** Human-readable: how the interval was made, e.g. `base 30s (...) × 4 (environment nonprod) = 2m`. */
  reason: string;
}

/**
 * Interval in force (docs/architecture.md#schedule) = base for the kind (or the reconcile interval while the event
 * pipeline is healthy) × environment multiplier × throttling factor × override factor. An absolute
 * override wins outright. Overrides count until they expire.
 */
export class IntervalPolicy {
  constructor(private readonly polling: PollingPolicy) {}

  /** The kind's base polling interval and where it comes from. */
  base(kind: string, defaultIntervalMs?: number): { ms: number; source: string } {
    const configured = this.polling.intervalSecondsByKind[kind];
    if (configured !== undefined)
      return { ms: configured * 1_000, source: `polling.intervalSecondsByKind.${kind}` };
    if (defaultIntervalMs !== undefined && defaultIntervalMs > 0)
      return { ms: defaultIntervalMs, source: `${kind} default` };
    return { ms: this.polling.defaultIntervalSeconds * 1_000, source: 'polling.defaultIntervalSeconds' };
  }

  compute(input: IntervalInput): IntervalDecision {
    const override = activeOverride(input.override, input.now);
    if (override?.intervalMs != null) {
      const ms = clamp(override.intervalMs);
      return { intervalMs: ms, reason: `override ${formatDuration(ms)}${describeOverride(override)}` };
    }
    const base = this.base(input.kind, input.defaultIntervalMs);
    const parts: string[] = [];
    let ms = base.ms;
    if (input.pipelineHealthy) {
      ms = Math.max(base.ms, this.polling.reconcileIntervalSeconds * 1_000);
      parts.push(`reconcile ${formatDuration(ms)} (event pipeline healthy)`);
    } else {
      parts.push(`base ${formatDuration(ms)} (${base.source})`);
    }
    const environment = this.polling.environmentMultipliers[input.environment] ?? 1;
    if (environment !== 1) {
      ms *= environment;
      parts.push(`× ${environment} (environment ${input.environment})`);
    }
    if (input.dynamicFactor !== 1) {
      ms *= input.dynamicFactor;
      parts.push(`× ${input.dynamicFactor} (throttling back-off)`);
    }
    if (override?.factor != null && override.factor !== 1) {
      ms *= override.factor;
      parts.push(`× ${override.factor} (override${describeOverride(override)})`);
    }
    const intervalMs = clamp(ms);
    if (parts.length > 1 || intervalMs !== ms) parts.push(`= ${formatDuration(intervalMs)}`);
    return { intervalMs, reason: parts.join(' ') };
  }
}

function activeOverride(override: AgentScheduleState['override'], now: Date): AgentScheduleState['override'] {
  if (!override || (override.intervalMs === null && override.factor === null)) return null;
  if (override.expiresAt && override.expiresAt.getTime() <= now.getTime()) return null;
  return override;
}

function describeOverride(o: NonNullable<AgentScheduleState['override']>): string {
  const by = o.setBy ? ` by ${o.setBy}` : '';
  const until = o.expiresAt ? ` until ${o.expiresAt.toISOString()}` : '';
  const why = o.reason ? `: ${o.reason}` : '';
  return `${by}${until}${why}`;
}

function clamp(ms: number): number {
  return Math.min(MAX_INTERVAL_MS, Math.max(1, Math.round(ms)));
}

/** `250ms`, `1.5s`, `30s`, `2m`, `2m30s`, `1h`. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1_000).toFixed(1))}s`;
  const totalSeconds = Math.round(ms / 1_000);
  const h = Math.floor(totalSeconds / 3_600);
  const m = Math.floor((totalSeconds % 3_600) / 60);
  const s = totalSeconds % 60;
  return [h ? `${h}h` : '', m ? `${m}m` : '', s ? `${s}s` : ''].join('');
}
