import type { AgentLoadResult } from '../caching-agent';
import type { CacheWriterPort } from '../ports';
import { AbortedError, untilAborted } from './abort';
import type { AgentEntry } from './agent-catalog';
import type { RunOutcome } from './agents.metrics';
import type { Clock } from './clock';
import type { HeldLease, LeaseKeeper } from './lease-keeper';
import { describeError, isThrottlingError } from './throttling';

export interface RunReport {
  outcome: RunOutcome;
  /** Records added or changed, and evicted (0 unless the run succeeded). */
  additions: number;
  evictions: number;
  error: string | null;
  /** Why an aborted run was aborted. */
  abortedBy?: 'lease_lost' | 'shutdown';
}

/**
 * One run of one agent under its lease: load, check the lease is still held, write the result.
 * Only a successful run writes, and it evicts what it no longer returned; a failed, throttled or
 * aborted run writes and evicts nothing.
 */
export class AgentRunner {
  constructor(private readonly deps: { cache: CacheWriterPort; keeper: LeaseKeeper; clock: Clock }) {}

  async run(entry: AgentEntry, lease: HeldLease): Promise<RunReport> {
    const { agent } = entry;
    const signal = lease.controller.signal;
    let result: AgentLoadResult;
    try {
      result = await untilAborted(() => agent.load({ signal, now: () => this.deps.clock.now() }), signal);
    } catch (error) {
      if (signal.aborted) return aborted(signal);
      const outcome = isThrottlingError(error) ? 'throttled' : 'failure';
      return { outcome, additions: 0, evictions: 0, error: describeError(error) };
    }
    const invalid = validate(result);
    if (invalid) return { outcome: 'failure', additions: 0, evictions: 0, error: invalid };

    // The last word before writing: a run whose lease lapsed while it read must not write.
    const lease_ = await this.deps.keeper.extend([lease]);
    if (lease_ === 'lost' || signal.aborted) return aborted(signal);
    if (lease_ === 'error') {
      return { outcome: 'failure', additions: 0, evictions: 0, error: 'could not confirm the lease' };
    }
    try {
      const written = await this.deps.cache.writeAgentResult({
        agent: agent.id,
        authoritativeTypes: [...agent.authoritativeTypes],
        resources: result.resources,
        fetchedAt: result.readStartedAt,
        complete: true,
      });
      return {
        outcome: 'success',
        additions: written.written.length,
        evictions: written.evicted.length,
        error: null,
      };
    } catch (error) {
      return {
        outcome: 'failure',
        additions: 0,
        evictions: 0,
        error: `write failed: ${describeError(error)}`,
      };
    }
  }
}

function aborted(signal: AbortSignal): RunReport {
  const cause = signal.reason instanceof AbortedError ? signal.reason.reason : 'shutdown';
  const error = new AbortedError(cause).message;
  // A run over its time limit failed (the lease is still ours); the others were taken from us.
  if (cause === 'timeout') return { outcome: 'failure', additions: 0, evictions: 0, error };
  return { outcome: 'aborted', additions: 0, evictions: 0, error, abortedBy: cause };
}

function validate(result: AgentLoadResult | undefined): string | null {
  if (!result || !Array.isArray(result.resources)) return 'the agent returned no resources array';
  if (!(result.readStartedAt instanceof Date) || Number.isNaN(result.readStartedAt.getTime())) {
    return 'the agent returned no valid readStartedAt';
  }
  return null;
}
