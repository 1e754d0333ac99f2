import type { InboxChannel, InboxEvent } from '@event-cache/cache-store';
import type { IngestedEvent } from '@event-cache/events';

/**
 * The inbox row of an accepted event: the envelope's columns, and the whole `IngestedEvent` as
 * payload (what event-scheduler's inbox processor hands to `decide()`, whichever channel).
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
