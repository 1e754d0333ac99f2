import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type InboxChannel = 'sqs' | 'sns' | 'api';
/** `adjusted`: the event changed agent intervals (e.g. an AWS Health issue opened or closed). */
export type InboxOutcome =
  'pending' | 'refreshed' | 'adjusted' | 'ignored' | 'rejected' | 'duplicate' | 'heartbeat';

/** Every accepted (or rejected) event, keyed by its id: EventBridge `id` or SNS `MessageId`. */
@Entity({ name: 'event_inbox' })
@Index('ix_event_inbox_pending', ['receivedAt'], { where: "outcome = 'pending'" })
@Index('ix_event_inbox_received', ['receivedAt'])
@Index('ix_event_inbox_outcome', ['outcome', 'reason'])
export class EventInbox {
  @PrimaryColumn({ name: 'event_id', type: 'text', collation: 'C' })
  eventId!: string;

  @Column({ type: 'text' })
  channel!: InboxChannel;

  @Column({ type: 'text', nullable: true })
  source!: string | null;

  @Column({ name: 'detail_type', type: 'text', nullable: true })
  detailType!: string | null;

  /** AWS account id as the event carried it. */
  @Column({ type: 'text', nullable: true })
  account!: string | null;

  @Column({ type: 'text', nullable: true })
  region!: string | null;

  /** The parsed event, kept until it is processed (and for the audit trail). */
  @Column({ type: 'jsonb', nullable: true })
  payload!: unknown;

  @Column({ type: 'text', default: 'pending' })
  outcome!: InboxOutcome;

  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ name: 'refresh_keys', type: 'text', array: true, nullable: true })
  refreshKeys!: string[] | null;

  @Column({ name: 'duplicate_count', type: 'integer', default: 0 })
  duplicateCount!: number;

  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt!: Date;

  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true })
  processedAt!: Date | null;

  @Column({ name: 'claimed_by', type: 'text', nullable: true })
  claimedBy!: string | null;

  @Column({ name: 'claim_expires_at', type: 'timestamptz', nullable: true })
  claimExpiresAt!: Date | null;
}
