import type { IngestedEvent, RejectReason } from '@event-cache/events';
import type { InboxChannel } from './entities';
import type { InboxEvent } from './repositories/event-inbox.repository';

/**
 * The inbox row of an accepted event: the envelope's columns, and the whole `IngestedEvent` as
 * payload (what the inbox processor hands to `decide()`, whichever channel it came through).
 */
export function pendingInboxEntry(
  ingested: IngestedEvent,
  channel: InboxChannel,
  receivedAt: Date,
): InboxEvent {
  const event = ingested.event;
  return {
    eventId: event.id,
    channel,
    source: event.source,
    detailType: event['detail-type'],
    account: event.account,
    region: event.region,
    payload: ingested,
    receivedAt,
  };
}

/** The inbox row of input refused at the door: processed at once, outcome `rejected`, with its reason. */
export function rejectedInboxEntry(
  eventId: string,
  channel: InboxChannel,
  reason: RejectReason,
  detail: Record<string, string>,
  receivedAt: Date,
): InboxEvent {
  return {
    eventId,
    channel,
    payload: Object.fromEntries(Object.entries(detail).map(([k, v]) => [k, storable(v)])),
    receivedAt,
    outcome: 'rejected',
    reason,
  };
}

/** Diagnostics may quote field names from the input: keep them storable (no U+0000, no lone surrogates). */
function storable(text: string): string {
  // eslint-disable-next-line no-control-regex -- U+0000 is exactly what this replaces
  return text.replace(/[\u0000\ud800-\udfff]/g, '\ufffd').slice(0, 1_000);
}
