import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One cached AWS resource under its Clouddriver key. `key` uses the "C" collation so the primary
 * key index also serves prefix globs (`aws:instances:prod:*`) and keyset pagination.
 */
@Entity({ name: 'cached_resource' })
@Index('ix_cached_resource_scope', ['type', 'account', 'region'])
@Index('ix_cached_resource_application', ['application', 'type'])
@Index('ix_cached_resource_agent', ['agent', 'type'])
export class CachedResource {
  @PrimaryColumn({ type: 'text', collation: 'C' })
  key!: string;

  @Column({ type: 'text' })
  type!: string;

  @Column({ type: 'text', nullable: true })
  account!: string | null;

  @Column({ type: 'text', nullable: true })
  region!: string | null;

  @Column({ type: 'text', nullable: true })
  application!: string | null;

  /** The caching agent whose authoritative run owns this row (eviction scope). */
  @Column({ type: 'text', nullable: true })
  agent!: string | null;

  @Column({ type: 'jsonb' })
  attributes!: Record<string, unknown>;

  /** Hash of attributes + outgoing relationships: an unchanged rewrite is skipped. */
  @Column({ name: 'body_hash', type: 'text' })
  bodyHash!: string;

  /** When the AWS read that produced this row started (never stale over fresh). */
  @Column({ name: 'fetched_at', type: 'timestamptz' })
  fetchedAt!: Date;

  /**
   * The agent run whose page last returned this row, unchanged rows included: a complete run
   * evicts the agent's rows it did not mark (unless a newer read wrote them).
   */
  @Column({ name: 'seen_by_run', type: 'uuid', nullable: true })
  seenByRun!: string | null;

  /** When the body last changed. */
  @Column({ name: 'changed_at', type: 'timestamptz' })
  changedAt!: Date;
}
