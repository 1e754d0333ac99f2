import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** When each caching agent runs next, why at that interval, and how its last run went. */
@Entity({ name: 'agent_schedule' })
@Index('ix_agent_schedule_due', ['nextRunAt'])
@Index('ix_agent_schedule_scope', ['account', 'region', 'kind'])
export class AgentSchedule {
  /** `<account>/<region>/<AgentKind>` (Clouddriver's agent type). */
  @PrimaryColumn({ name: 'agent_id', type: 'text', collation: 'C' })
  agentId!: string;

  @Column({ type: 'text', default: 'aws' })
  provider!: string;

  @Column({ type: 'text' })
  kind!: string;

  @Column({ type: 'text' })
  account!: string;

  @Column({ type: 'text' })
  region!: string;

  @Column({ name: 'base_interval_ms', type: 'integer' })
  baseIntervalMs!: number;

  /** The interval the scheduler last computed, and why (environment, throttling, heartbeat ...). */
  @Column({ name: 'interval_ms', type: 'integer' })
  intervalMs!: number;

  @Column({ name: 'interval_reason', type: 'text', default: 'base' })
  intervalReason!: string;

  @Column({ name: 'next_run_at', type: 'timestamptz' })
  nextRunAt!: Date;

  @Column({ type: 'boolean', default: false })
  paused!: boolean;

  @Column({ name: 'override_interval_ms', type: 'integer', nullable: true })
  overrideIntervalMs!: number | null;

  @Column({ name: 'override_factor', type: 'double precision', nullable: true })
  overrideFactor!: number | null;

  @Column({ name: 'override_expires_at', type: 'timestamptz', nullable: true })
  overrideExpiresAt!: Date | null;

  @Column({ name: 'override_set_by', type: 'text', nullable: true })
  overrideSetBy!: string | null;

  @Column({ name: 'override_reason', type: 'text', nullable: true })
  overrideReason!: string | null;

  /** Throttling backs off by raising this factor; success walks it back to 1. */
  @Column({ name: 'dynamic_factor', type: 'double precision', default: 1 })
  dynamicFactor!: number;

  @Column({ name: 'consecutive_throttles', type: 'integer', default: 0 })
  consecutiveThrottles!: number;

  @Column({ name: 'last_run_started_at', type: 'timestamptz', nullable: true })
  lastRunStartedAt!: Date | null;

  @Column({ name: 'last_run_duration_ms', type: 'integer', nullable: true })
  lastRunDurationMs!: number | null;

  @Column({ name: 'last_additions', type: 'integer', nullable: true })
  lastAdditions!: number | null;

  @Column({ name: 'last_evictions', type: 'integer', nullable: true })
  lastEvictions!: number | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'total_additions', type: 'bigint', default: 0 })
  totalAdditions!: string;

  @Column({ name: 'total_evictions', type: 'bigint', default: 0 })
  totalEvictions!: string;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;

  /**
   * When a scheduler replica whose configuration has this agent last registered it (each replica
   * re-affirms its agents periodically). An agent no replica affirmed for `agents.retireAfterSeconds`
   * is retired: its schedule, lease and cached rows are deleted.
   */
  @Column({ name: 'seen_at', type: 'timestamptz', default: () => 'now()' })
  seenAt!: Date;
}
