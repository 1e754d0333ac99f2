import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A held lease: the row exists while an agent is running somewhere. The primary key is the unique
 * constraint acquisitions win or lose on; `token` fences a lease from its expired predecessors.
 */
@Entity({ name: 'agent_lease' })
export class AgentLease {
  @PrimaryColumn({ name: 'agent_id', type: 'text', collation: 'C' })
  agentId!: string;

  @Column({ type: 'text' })
  owner!: string;

  // Drawn from agent_lease_token_seq by every acquisition.
  @Column({ type: 'bigint' })
  token!: string;

  @Column({ name: 'acquired_at', type: 'timestamptz' })
  acquiredAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
