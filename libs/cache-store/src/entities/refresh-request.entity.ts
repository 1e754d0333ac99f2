import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type RefreshOrigin = 'event' | 'on-demand' | 'manual';
export type RefreshStatus = 'pending' | 'claimed' | 'succeeded' | 'failed' | 'merged';

/**
 * A request to re-read one cache key from AWS. Pending requests for a key coalesce (partial unique
 * index); workers claim them in batches per account/region/type.
 */
@Entity({ name: 'refresh_request' })
@Index('ux_refresh_request_pending_key', ['key'], { unique: true, where: "status = 'pending'" })
@Index('ix_refresh_request_claimable', ['status', 'notBefore'])
@Index('ix_refresh_request_type_key', ['type', 'key'])
@Index('ix_refresh_request_finished', ['processedAt'])
export class RefreshRequest {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  /** Clouddriver's on-demand type of the key (serverGroups, instances, loadBalancers ...). */
  @Column({ type: 'text' })
  type!: string;

  @Column({ type: 'text', collation: 'C' })
  key!: string;

  @Column({ type: 'text' })
  account!: string;

  @Column({ type: 'text' })
  region!: string;

  /** Extra information the refresher needs (e.g. a security group id when the key lacks it). */
  @Column({ type: 'jsonb', nullable: true })
  target!: Record<string, unknown> | null;

  @Column({ type: 'text' })
  origin!: RefreshOrigin;

  @Column({ type: 'text', default: 'pending' })
  status!: RefreshStatus;

  /** Orca's `cacheTime`: the latest time a caller asked; a read must start after it. */
  @Column({ name: 'requested_at', type: 'timestamptz' })
  requestedAt!: Date;

  /** How many requests coalesced into this one. */
  @Column({ name: 'request_count', type: 'integer', default: 1 })
  requestCount!: number;

  @Column({ name: 'not_before', type: 'timestamptz' })
  notBefore!: Date;

  @Column({ name: 'claimed_by', type: 'text', nullable: true })
  claimedBy!: string | null;

  @Column({ name: 'claimed_at', type: 'timestamptz', nullable: true })
  claimedAt!: Date | null;

  @Column({ name: 'claim_expires_at', type: 'timestamptz', nullable: true })
  claimExpiresAt!: Date | null;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true })
  processedAt!: Date | null;

  @Column({ name: 'processed_count', type: 'integer', nullable: true })
  processedCount!: number | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  /** Set when a retried request folded into a newer pending request for the same key. */
  @Column({ name: 'merged_into', type: 'bigint', nullable: true })
  mergedInto!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
