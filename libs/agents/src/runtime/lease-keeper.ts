import type { AgentLeasesPort, LeaseGrant } from '../ports';
import { AbortedError } from './abort';
import type { Clock } from './clock';
import type { AgentLogger } from './runtime-options';

/** A run holding a lease: aborting its controller stops the run and skips its write. */
export interface HeldLease {
  readonly grant: LeaseGrant;
  readonly controller: AbortController;
}

/**
 * Extends the leases of every in-flight run in one statement, a few times per TTL. A lease
 * reported lost (it expired and another replica took it) aborts its run: it must not write.
 */
export class LeaseKeeper {
  private readonly held = new Map<string, HeldLease>();

  constructor(
    private readonly deps: {
      leases: AgentLeasesPort;
      clock: Clock;
      logger: AgentLogger;
      owner: string;
      ttlMs: number;
    },
  ) {}

  hold(grant: LeaseGrant): HeldLease {
    const lease = { grant, controller: new AbortController() };
    this.held.set(grant.agentId, lease);
    return lease;
  }

  drop(agentId: string): void {
    this.held.delete(agentId);
  }

  get size(): number {
    return this.held.size;
  }

  all(): HeldLease[] {
    return [...this.held.values()];
  }

  /** Extends until `signal` aborts, every third of the TTL. */
  async run(signal: AbortSignal): Promise<void> {
    const every = Math.max(50, Math.floor(this.deps.ttlMs / 3));
    while (!signal.aborted) {
      await this.deps.clock.sleep(every, signal);
      if (!signal.aborted) await this.extend(this.all());
    }
  }

  /**
   * Extends these leases now. `lost`: at least one was lost (its run is aborted); `error`: the
   * database did not answer (the leases may still be held; the next extension tries again).
   */
  async extend(leases: HeldLease[]): Promise<'ok' | 'lost' | 'error'> {
    const live = leases.filter((l) => !l.controller.signal.aborted);
    if (live.length === 0) return leases.length ? 'lost' : 'ok';
    try {
      const { lost } = await this.deps.leases.extend(
        this.deps.owner,
        live.map((l) => ({ agentId: l.grant.agentId, token: l.grant.token })),
        this.deps.ttlMs,
      );
      for (const agentId of lost) this.held.get(agentId)?.controller.abort(new AbortedError('lease_lost'));
      return lost.length || live.length < leases.length ? 'lost' : 'ok';
    } catch (error) {
      this.deps.logger.warn(`extending ${live.length} lease(s) failed: ${String(error)}`);
      return 'error';
    }
  }
}
