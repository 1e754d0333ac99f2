import { Injectable, Logger } from '@nestjs/common';
import { type InboxChannel, pendingInboxEntry } from '@event-cache/cache-store';
import { DEFAULT_MAX_BYTES, type IngestedEvent, type Rejection } from '@event-cache/events';
import {
  CodedError,
  findUnstorableText,
  isCodedError,
  MetricsService,
  readBody,
  UNSTORABLE_TEXT,
} from '@event-cache/platform';
import type { Request } from 'express';
import { InboxBatcher } from './inbox-batcher.service';

export interface IntakeReceipt {
  eventId: string;
  /** `duplicate`: the inbox already had this event id; it is not acted on twice. */
  status: 'accepted' | 'duplicate';
}

/**
 * The door of the event inbox for the HTTP channels (SNS, API destination): accepted events are
 * committed (group commit, see InboxBatcher) before the caller is answered; refused input becomes a reason-coded error, counted
 * in `event_cache_events_received_total` and logged once with the event id.
 */
@Injectable()
export class InboxIntakeService {
  private readonly logger = new Logger(InboxIntakeService.name);
  private readonly events;

  constructor(
    private readonly batcher: InboxBatcher,
    metrics: MetricsService,
  ) {
    this.events = metrics.counter({
      name: 'events_received_total',
      help: 'Events at the door, by channel, outcome (accepted, duplicate, rejected) and reason',
      labelNames: ['channel', 'outcome', 'reason'],
    });
  }

  /**
   * The request's body as bytes, read only now (after any guard) and never past 256 KiB: a larger
   * one stops being read and is refused (`payload_too_large`), counted like any other refusal.
   */
  async body(channel: InboxChannel, req: Request): Promise<Buffer> {
    try {
      return await readBody(req, DEFAULT_MAX_BYTES);
    } catch (error) {
      if (isCodedError(error) && error.code === 'payload_too_large') {
        throw this.rejection(channel, { ok: false, reason: 'payload_too_large', message: error.message });
      }
      throw error;
    }
  }

  async accept(ingested: IngestedEvent, channel: InboxChannel): Promise<IntakeReceipt> {
    const eventId = ingested.event.id;
    const unstorable = findUnstorableText(ingested);
    if (unstorable !== undefined) {
      throw this.rejection(channel, {
        ok: false,
        reason: 'schema_violation',
        message: `${unstorable || 'the event'}: ${UNSTORABLE_TEXT}`,
        eventId,
      });
    }
    const status = await this.batcher.accept(pendingInboxEntry(ingested, channel, new Date()));
    this.events.inc({ channel, outcome: status, reason: '' });
    return { eventId, status };
  }

  /** Counts and logs a refusal once; returns the error that answers the caller. */
  rejection(channel: InboxChannel, rejection: Rejection): CodedError {
    this.events.inc({ channel, outcome: 'rejected', reason: rejection.reason });
    this.logger.warn({
      msg: `${channel} input rejected`,
      eventId: rejection.eventId,
      reason: rejection.reason,
      detail: rejection.message,
    });
    return new CodedError(rejection.reason, rejection.message, { eventId: rejection.eventId });
  }
}
