import { bounded } from './bounded';

/** Something /health/ready depends on (the database, applied migrations, a watch ...). */
export interface ReadinessCheck {
  readonly name: string;
  /** Resolves with details when ready; rejects (or resolves `{ready: false}`) when not. */
  check(): Promise<{ ready: boolean; detail?: Record<string, unknown> }>;
}

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

export interface ReadinessResult {
  ready: boolean;
  detail: Record<string, unknown>;
}

/**
 * Runs readiness checks so that a hung dependency cannot hang the probe: each check gets
 * `timeoutMs` of its own and is not ready when it runs out (`timedOut: true`, saying how long it
 * was given). A check still running from an earlier probe is joined instead of started again, so
 * a database that stopped answering holds one connection for readiness, not one per probe.
 */
export class ReadinessRunner {
  private readonly runs = new Map<ReadinessCheck, () => Promise<ReadinessResult>>();

  constructor(private readonly timeoutMs: number) {}

  run(check: ReadinessCheck): Promise<ReadinessResult> {
    let run = this.runs.get(check);
    if (!run) {
      const late = () => ({
        ready: false,
        detail: { timedOut: true, message: `${check.name}: no answer within ${this.timeoutMs} ms` },
      });
      run = bounded(() => settle(check), this.timeoutMs, late);
      this.runs.set(check, run);
    }
    return run();
  }
}

async function settle(check: ReadinessCheck): Promise<ReadinessResult> {
  try {
    const result = await check.check();
    return { ready: result.ready, detail: result.detail ?? {} };
  } catch (e) {
    return { ready: false, detail: { message: e instanceof Error ? e.message : String(e) } };
  }
}
