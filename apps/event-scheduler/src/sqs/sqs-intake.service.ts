import { type BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import {
  CacheStore,
  type InboxEvent,
  isDatabaseUnavailable,
  pendingInboxEntry,
  rejectedInboxEntry,
} from '@event-cache/cache-store';
import { isTransientRejection, parseSqsMessageBody } from '@event-cache/events';
import {
  APP_CONFIG,
  type AppConfig,
  findUnstorableText,
  MetricsService,
  UNSTORABLE_TEXT,
} from '@event-cache/platform';
import { IntakeGate } from './intake-gate';
import { queueRegion } from './sqs-client.factory';
import type { SqsDisposition, SqsReceivedMessage } from './sqs.model';

type Entry = { kind: 'record'; row: InboxEvent } | { kind: 'retain'; reason: string };

/**
 * SQS messages into the inbox (docs/architecture.md#ingest). Every message is parsed; accepted events and
 * never-succeeding messages (reason-coded rejections) are written in one statement, and a message
 * is only marked for deletion once that statement committed. A failing batch is retried message by
 * message, so one bad message cannot hold the others back; what still fails is retained for SQS to
 * redeliver. A batch that failed because the database is unavailable closes the IntakeGate (no
 * more receiving) and waits for it to open again, then is written: it is received once, however
 * long the outage lasts.
 */
@Injectable()
export class SqsIntakeService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(SqsIntakeService.name);
  /** Aborted at shutdown: batches waiting for the database give up and are left to SQS. */
  private readonly stopping = new AbortController();
  private readonly region: string | undefined;
  private readonly snsTopicArns: string[] | undefined;
  private readonly events;

  constructor(
    private readonly store: CacheStore,
    private readonly gate: IntakeGate,
    @Inject(APP_CONFIG) config: AppConfig,
    metrics: MetricsService,
  ) {
    this.region = config.sqs.queueUrl ? queueRegion(config.sqs) : config.sqs.region;
    this.snsTopicArns = config.sqs.snsTopicArns.length > 0 ? config.sqs.snsTopicArns : undefined;
    this.events = metrics.counter({
      name: 'events_received_total',
      help: 'Events at the door, by channel, outcome (accepted, duplicate, rejected, retained) and reason',
      labelNames: ['channel', 'outcome', 'reason'],
    });
  }

  beforeApplicationShutdown(): void {
    this.stopping.abort();
  }

  /**
   * One disposition per message. `waitForDatabase: false` (a redrive answering an operator) retains
   * what the unavailable database could not take instead of waiting for it to come back.
   */
  async ingest(
    messages: readonly SqsReceivedMessage[],
    options: { waitForDatabase?: boolean } = {},
  ): Promise<SqsDisposition[]> {
    const receivedAt = new Date();
    const entries = messages.map((m) => this.entryFor(m, receivedAt));
    const rows = entries.flatMap((e) => (e.kind === 'record' ? [e.row] : []));
    const written = await this.write(rows, options.waitForDatabase ?? true);
    return entries.map((entry) => {
      if (entry.kind === 'retain') {
        this.events.inc({ channel: 'sqs', outcome: 'retained', reason: entry.reason });
        return 'retain';
      }
      const result = written.get(entry.row);
      if (result === undefined) {
        this.events.inc({ channel: 'sqs', outcome: 'retained', reason: 'store_unavailable' });
        return 'retain';
      }
      const outcome = entry.row.outcome === 'rejected' ? 'rejected' : result;
      this.events.inc({ channel: 'sqs', outcome, reason: entry.row.reason ?? '' });
      return 'delete';
    });
  }

  private entryFor(message: SqsReceivedMessage, receivedAt: Date): Entry {
    const parsed = parseSqsMessageBody(message.body, {
      region: this.region,
      messageId: message.messageId,
      snsTopicArns: this.snsTopicArns,
    });
    if (!parsed.ok) {
      const eventId = parsed.eventId ?? `sqs:${message.messageId}`;
      if (isTransientRejection(parsed.reason)) return { kind: 'retain', reason: parsed.reason };
      this.logger.warn({
        msg: 'SQS message rejected',
        eventId,
        sqsMessageId: message.messageId,
        reason: parsed.reason,
        detail: parsed.message,
      });
      return {
        kind: 'record',
        row: rejectedInboxEntry(
          eventId,
          'sqs',
          parsed.reason,
          { sqsMessageId: message.messageId, message: parsed.message },
          receivedAt,
        ),
      };
    }
    const eventId = parsed.value.event.id;
    const unstorable = findUnstorableText(parsed.value);
    if (unstorable !== undefined) {
      const detail = `${unstorable || 'the event'}: ${UNSTORABLE_TEXT}`;
      this.logger.warn({ msg: 'SQS message rejected', eventId, reason: 'schema_violation', detail });
      return {
        kind: 'record',
        row: rejectedInboxEntry(
          eventId,
          'sqs',
          'schema_violation',
          { sqsMessageId: message.messageId, message: detail },
          receivedAt,
        ),
      };
    }
    return { kind: 'record', row: pendingInboxEntry(parsed.value, 'sqs', receivedAt) };
  }

  /** Which rows were committed, and whether each was new or a duplicate; missing = not committed. */
  private async write(
    rows: InboxEvent[],
    waitForDatabase: boolean,
  ): Promise<Map<InboxEvent, 'accepted' | 'duplicate'>> {
    const committed = new Map<InboxEvent, 'accepted' | 'duplicate'>();
    if (rows.length === 0) return committed;
    for (;;) {
      try {
        this.record(committed, rows, await this.store.inbox.accept(rows));
        return committed;
      } catch (error) {
        if (isDatabaseUnavailable(error)) {
          this.gate.close(error);
          // The database is back: the same batch again (its messages stayed invisible meanwhile).
          if (waitForDatabase && (await this.gate.whenOpen(this.stopping.signal))) continue;
          this.logStoreFailure(rows, error);
          return committed;
        }
        if (rows.length === 1) {
          this.logStoreFailure(rows, error);
          return committed;
        }
        break;
      }
    }
    for (const row of rows) {
      try {
        this.record(committed, [row], await this.store.inbox.accept([row]));
      } catch (error) {
        this.logStoreFailure([row], error);
      }
    }
    return committed;
  }

  private record(
    committed: Map<InboxEvent, 'accepted' | 'duplicate'>,
    rows: InboxEvent[],
    result: { accepted: string[]; duplicates: string[] },
  ): void {
    // accept() answers per copy in call order: the first copy of a new id is accepted, the rest duplicates.
    const fresh = new Set(result.accepted);
    for (const row of rows) committed.set(row, fresh.delete(row.eventId) ? 'accepted' : 'duplicate');
  }

  private logStoreFailure(rows: InboxEvent[], error: unknown): void {
    this.logger.warn({
      msg: 'inbox write failed: SQS messages left for redelivery',
      eventIds: rows.map((r) => r.eventId),
      err: error instanceof Error ? error.message : String(error),
    });
  }
}
