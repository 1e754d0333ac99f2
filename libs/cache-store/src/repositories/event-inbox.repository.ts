import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { InboxChannel, InboxOutcome } from '../entities';
import type { Queryable } from './queryable';
import { decodeCursor, encodeCursor, returnedRows, toDate, toDateOrNull } from './sql';

export interface InboxEvent {
  eventId: string;
  channel: InboxChannel;
  source?: string | null;
  detailType?: string | null;
  account?: string | null;
  region?: string | null;
  payload?: unknown;
  receivedAt: Date;
  /** Rejected or ignored at the door: recorded as processed with this outcome and reason. */
  outcome?: Exclude<InboxOutcome, 'pending'>;
  reason?: string | null;
}

export interface InboxOutcomeUpdate {
  eventId: string;
  outcome: Exclude<InboxOutcome, 'pending'>;
  reason?: string | null;
  refreshKeys?: string[];
}

export interface InboxEntryView {
  id: string;
  channel: InboxChannel;
  source: string | null;
  detailType: string | null;
  account: string | null;
  region: string | null;
  receivedAt: Date;
  processedAt: Date | null;
  outcome: InboxOutcome;
  reason: string | null;
  refreshKeys: string[];
  duplicateCount: number;
}

export interface PendingInboxEvent {
  eventId: string;
  channel: InboxChannel;
  payload: unknown;
  receivedAt: Date;
}

/**
 * The event inbox: insert-if-new by event id (a second copy only bumps `duplicate_count`), claim
 * of pending events for the decision step, outcomes, the audit trail and retention.
 */
@Injectable()
export class EventInboxRepository {
  constructor(@Inject(DataSource) private readonly db: Queryable) {}

  /** Inserts events not seen before, in one statement. Returns which ids were new. */
  async accept(events: readonly InboxEvent[]): Promise<{ accepted: string[]; duplicates: string[] }> {
    if (events.length === 0) return { accepted: [], duplicates: [] };
    const rows: { event_id: string; inserted: boolean }[] = await this.db.query(
      `INSERT INTO event_inbox AS e
              (event_id, channel, source, detail_type, account, region, payload, outcome, reason, received_at,
               processed_at, duplicate_count)
       SELECT i.event_id, i.channel, i.source, i.detail_type, i.account, i.region, i.payload,
              COALESCE(i.outcome, 'pending'), i.reason, i.received_at,
              CASE WHEN i.outcome IS NULL THEN NULL ELSE now() END, i.copies - 1
         FROM json_to_recordset($1::json)
           AS i(event_id text, channel text, source text, detail_type text, account text, region text, payload jsonb,
                outcome text, reason text, received_at timestamptz, copies int)
       ON CONFLICT (event_id) DO UPDATE SET duplicate_count = e.duplicate_count + excluded.duplicate_count + 1
       RETURNING e.event_id, (e.xmax = 0) AS inserted`,
      [
        JSON.stringify(
          dedupe(events).map(({ event: e, copies }) => ({
            event_id: e.eventId,
            channel: e.channel,
            source: e.source ?? null,
            detail_type: e.detailType ?? null,
            account: e.account ?? null,
            region: e.region ?? null,
            payload: e.payload ?? null,
            outcome: e.outcome ?? null,
            reason: e.reason ?? null,
            received_at: e.receivedAt.toISOString(),
            copies,
          })),
        ),
      ],
    );
    const inserted = new Set(rows.filter((r) => r.inserted).map((r) => r.event_id));
    const accepted: string[] = [];
    const duplicates: string[] = [];
    for (const e of events) {
      if (inserted.delete(e.eventId)) accepted.push(e.eventId);
      else duplicates.push(e.eventId);
    }
    return { accepted, duplicates };
  }

  /**
   * Claims pending events (oldest first) for processing; a crashed claimer's events come back.
   * `reclaimOwn`: events this worker claimed already are claimed again, for a worker that holds
   * nothing when it claims: a claim whose answer it never got (a hung server ran the statement
   * after the client gave up on it) does not wait for its expiry.
   */
  async claimPending(options: {
    worker: string;
    limit: number;
    claimTtlMs: number;
    reclaimOwn?: boolean;
  }): Promise<PendingInboxEvent[]> {
    const rows = returnedRows<{
      event_id: string;
      channel: InboxChannel;
      payload: unknown;
      received_at: Date;
    }>(
      await this.db.query(
        `UPDATE event_inbox e
          SET claimed_by = $1, claim_expires_at = now() + make_interval(secs => $3::double precision / 1000)
         FROM (SELECT event_id FROM event_inbox
                WHERE outcome = 'pending'
                  AND (claim_expires_at IS NULL OR claim_expires_at <= now() OR ($4 AND claimed_by = $1))
                ORDER BY received_at
                LIMIT $2
                FOR UPDATE SKIP LOCKED) AS picked
        WHERE e.event_id = picked.event_id
        RETURNING e.event_id, e.channel, e.payload, e.received_at`,
        [options.worker, options.limit, options.claimTtlMs, options.reclaimOwn ?? false],
      ),
    );
    return rows
      .map((r) => ({
        eventId: r.event_id,
        channel: r.channel,
        payload: r.payload,
        receivedAt: toDate(r.received_at),
      }))
      .sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime());
  }

  /** Records outcomes of many events in one statement (only still-pending events change). */
  async complete(updates: readonly InboxOutcomeUpdate[]): Promise<string[]> {
    if (updates.length === 0) return [];
    const result: unknown = await this.db.query(
      `UPDATE event_inbox e
          SET outcome = u.outcome, reason = u.reason, refresh_keys = u.refresh_keys, processed_at = now(),
              claimed_by = NULL, claim_expires_at = NULL
         FROM json_to_recordset($1::json) AS u(event_id text, outcome text, reason text, refresh_keys text[])
        WHERE e.event_id = u.event_id AND e.outcome = 'pending'
        RETURNING e.event_id`,
      [
        JSON.stringify(
          updates.map((u) => ({
            event_id: u.eventId,
            outcome: u.outcome,
            reason: u.reason ?? null,
            refresh_keys: u.refreshKeys ?? [],
          })),
        ),
      ],
    );
    return returnedRows<{ event_id: string }>(result).map((r) => r.event_id);
  }

  async findById(eventId: string): Promise<InboxEntryView | null> {
    const rows: InboxRow[] = await this.db.query(`SELECT ${COLUMNS} FROM event_inbox WHERE event_id = $1`, [
      eventId,
    ]);
    return rows.length ? toView(rows[0]) : null;
  }

  /**
   * The audit trail, newest first, a page at a time. `cursor` is the `nextCursor` of the previous
   * page: a keyset on (received_at, event_id) at full precision, so events received in the same
   * statement (same timestamp) are neither skipped nor repeated.
   */
  async list(options: {
    limit: number;
    outcome?: InboxOutcome;
    reason?: string;
    before?: Date;
    cursor?: InboxCursor;
  }): Promise<{ entries: InboxEntryView[]; nextCursor: string | null }> {
    const limit = Math.min(Math.max(options.limit, 1), 1_000);
    const rows: (InboxRow & { received_text: string })[] = await this.db.query(
      `SELECT ${COLUMNS}, received_at::text AS received_text FROM event_inbox
        WHERE ($2::text IS NULL OR outcome = $2) AND ($3::text IS NULL OR reason = $3)
          AND ($4::timestamptz IS NULL OR received_at < $4)
          AND ($5::timestamptz IS NULL OR received_at < $5 OR (received_at = $5 AND event_id > $6))
        ORDER BY received_at DESC, event_id
        LIMIT $1 + 1`,
      [
        limit,
        options.outcome ?? null,
        options.reason ?? null,
        options.before ?? null,
        options.cursor?.receivedAt ?? null,
        options.cursor?.eventId ?? null,
      ],
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      entries: page.map(toView),
      nextCursor: rows.length > limit ? encodeCursor(`${last.received_text}\n${last.event_id}`) : null,
    };
  }

  async countPending(): Promise<number> {
    const [row] = await this.db.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM event_inbox WHERE outcome = 'pending'`,
    );
    return Number(row.n);
  }

  /** Deletes processed events received before the cutoff, at most `limit` per call. */
  async purge(olderThan: Date, limit = 10_000): Promise<number> {
    const rows = returnedRows<unknown>(
      await this.db.query(
        `DELETE FROM event_inbox WHERE event_id IN (
         SELECT event_id FROM event_inbox WHERE outcome <> 'pending' AND received_at < $1 LIMIT $2)
       RETURNING event_id`,
        [olderThan, limit],
      ),
    );
    return rows.length;
  }
}

/**
 * The first copy of each event and how many copies the call carried, in id order: replicas
 * accepting overlapping batches lock the same rows in the same order and cannot deadlock.
 */
function dedupe(events: readonly InboxEvent[]): { event: InboxEvent; copies: number }[] {
  const byId = new Map<string, { event: InboxEvent; copies: number }>();
  for (const event of events) {
    const seen = byId.get(event.eventId);
    if (seen) seen.copies += 1;
    else byId.set(event.eventId, { event, copies: 1 });
  }
  return [...byId.values()].sort((a, b) => (a.event.eventId < b.event.eventId ? -1 : 1));
}

const COLUMNS = `event_id, channel, source, detail_type, account, region, received_at, processed_at, outcome, reason,
  refresh_keys, duplicate_count`;

interface InboxRow {
  event_id: string;
  channel: InboxChannel;
  source: string | null;
  detail_type: string | null;
  account: string | null;
  region: string | null;
  received_at: Date;
  processed_at: Date | null;
  outcome: InboxOutcome;
  reason: string | null;
  refresh_keys: string[] | null;
  duplicate_count: number;
}

function toView(r: InboxRow): InboxEntryView {
  return {
    id: r.event_id,
    channel: r.channel,
    source: r.source,
    detailType: r.detail_type,
    account: r.account,
    region: r.region,
    receivedAt: toDate(r.received_at),
    processedAt: toDateOrNull(r.processed_at),
    outcome: r.outcome,
    reason: r.reason,
    refreshKeys: r.refresh_keys ?? [],
    duplicateCount: r.duplicate_count,
  };
}

/** Where a page of the audit trail starts: after this event (received_at as PostgreSQL printed it). */
export interface InboxCursor {
  receivedAt: string;
  eventId: string;
}

const PG_TIMESTAMPTZ =
  /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?([+-])(\d{2})(?::(\d{2}))?(?::(\d{2}))?$/;

/** Reads a `nextCursor` back; undefined when it is not one (a client's typo or tampering). */
export function decodeInboxCursor(cursor: string): InboxCursor | undefined {
  const text = decodeCursor(cursor) ?? '';
  const split = text.indexOf('\n');
  if (split < 0) return undefined;
  const receivedAt = text.slice(0, split);
  const eventId = text.slice(split + 1);
  if (!isTimestamp(receivedAt) || eventId.length === 0 || eventId.length > 256) return undefined;
  return { receivedAt, eventId };
}

/** A time as PostgreSQL prints a timestamptz, that names a real instant it can hold. */
function isTimestamp(text: string): boolean {
  const m = PG_TIMESTAMPTZ.exec(text);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second);
  const offset = [m[8], m[9] ?? '0', m[10] ?? '0'].map(Number);
  return (
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second &&
    // PostgreSQL's time zone displacement limit: 15:59:59.
    offset[0] <= 15 &&
    offset[1] < 60 &&
    offset[2] < 60
  );
}
