import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A Clouddriver pod the forwarder discovered. */
@Entity({ name: 'clouddriver_instance' })
export class ClouddriverInstance {
  /** The pod name. */
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ name: 'base_url', type: 'text' })
  baseUrl!: string;

  @Column({ type: 'boolean' })
  ready!: boolean;

  @Column({ name: 'last_updated', type: 'timestamptz' })
  lastUpdated!: Date;
}

/** Which Clouddriver instance owns an agent and the accounts it serves. */
@Entity({ name: 'clouddriver_ownership' })
@Index('ix_clouddriver_ownership_instance', ['clouddriverId'])
// GIN index on accounts, created by the migration (TypeORM cannot declare GIN).
@Index('ix_clouddriver_ownership_accounts', { synchronize: false })
export class ClouddriverOwnership {
  @PrimaryColumn({ name: 'agent_id', type: 'text' })
  agentId!: string;

  @Column({ name: 'clouddriver_id', type: 'text' })
  clouddriverId!: string;

  @Column({ type: 'text', array: true })
  accounts!: string[];

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
