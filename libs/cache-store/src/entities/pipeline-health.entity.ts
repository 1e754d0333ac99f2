import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The last heartbeat of an account/region's event pipeline (our `Scheduled Event` rule). */
@Entity({ name: 'pipeline_health' })
export class PipelineHealth {
  @PrimaryColumn({ type: 'text' })
  account!: string;

  @PrimaryColumn({ type: 'text' })
  region!: string;

  @Column({ name: 'last_heartbeat_at', type: 'timestamptz' })
  lastHeartbeatAt!: Date;

  @Column({ name: 'healthy_until', type: 'timestamptz' })
  healthyUntil!: Date;
}
