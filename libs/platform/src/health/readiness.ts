/** Something /health/ready depends on (the database, applied migrations, a watch ...). */
export interface ReadinessCheck {
  readonly name: string;
  /** Resolves with details when ready; rejects (or resolves `{ready: false}`) when not. */
  check(): Promise<{ ready: boolean; detail?: Record<string, unknown> }>;
}

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');
