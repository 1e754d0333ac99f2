/**
 * Where in its interval each agent runs (docs/architecture.md#schedule). Every agent has a stable
 * phase, a fraction of its interval: its runs fall on its slots `k × interval + phase × interval`
 * (epoch-anchored), so agents that switch intervals together (a pipeline turning healthy moves
 * every agent of it from 30 s to the reconcile interval at once) or ran together (a restart, a
 * first run) spread over the interval from their next run on instead of staying in step.
 *
 * Phases are even: the N agents known to the schedule, ordered by kind, account and region, take
 * the fractions 0, 1/N, 2/N, ... of their interval in turn. So N agents at one interval start at
 * most ⌈N × 60 s / interval⌉ in any minute, and the agents of one account/region (one per kind)
 * are about an interval / kinds apart. Every replica reads the same schedule, so every replica
 * computes the same phases.
 */
export class RunPhases {
  private phases = new Map<string, number>();

  /** Recomputes the phases from every agent the schedule knows (all replicas' agents). */
  update(agents: readonly { agentId: string; kind: string; account: string; region: string }[]): void {
    const ordered = [...agents].sort(
      (a, b) =>
        compare(a.kind, b.kind) ||
        compare(a.account, b.account) ||
        compare(a.region, b.region) ||
        compare(a.agentId, b.agentId),
    );
    this.phases = new Map(ordered.map((a, i) => [a.agentId, i / ordered.length]));
  }

  /** The agent's phase in [0, 1): its place in the schedule, or a stable hash of its id until it has one. */
  of(agentId: string): number {
    return this.phases.get(agentId) ?? stableHash(agentId) / 2 ** 32;
  }
}

/**
 * The run after one that started at `startedAt`: the agent's slot nearest to one interval later
 * (within half an interval of it, so the average interval stays the interval), but at least a tenth
 * of the interval after the run ended. A run that overran its interval is followed a tenth of the
 * interval after it ended, as without phases; its next run finds its slot again.
 */
export function nextRunAt(
  run: { startedAt: number; finishedAt: number },
  intervalMs: number,
  phase: number,
): number {
  const offset = phase * intervalMs;
  const target = run.startedAt + intervalMs;
  const slot = Math.round((target - offset) / intervalMs) * intervalMs + offset;
  return Math.max(slot, run.finishedAt + intervalMs / 10);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** FNV-1a: a stable number for a text (every replica computes the same). */
export function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
