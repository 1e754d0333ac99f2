import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * An operation the forwarder passed from one Clouddriver instance (the sender) to the instance
 * owning the agent: its results are routed back to the sender, whichever replica receives them.
 */
@Entity({ name: 'clouddriver_operation' })
@Index('ix_clouddriver_operation_expires', ['expiresAt'])
export class ClouddriverOperation {
  @PrimaryColumn({ name: 'operation_id', type: 'text' })
  operationId!: string;

  /** The instance (pod name) that sent the operation and waits for its results. */
  @Column({ name: 'sender_id', type: 'text' })
  senderId!: string;

  /** The instance the operation was forwarded to. */
  @Column({ name: 'owner_id', type: 'text' })
  ownerId!: string;

  @Column({ name: 'agent_id', type: 'text', nullable: true })
  agentId!: string | null;

  @Column({ type: 'text', nullable: true })
  account!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** Past this, results of the operation are no longer routed and the row may be purged. */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
