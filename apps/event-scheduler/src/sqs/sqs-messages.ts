import { DeleteMessageBatchCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { MetricsService } from '@event-cache/platform';
import type { SqsReceivedMessage } from './sqs.model';

/** A received message that can be handed to the intake and deleted. */
export type HandledMessage = Message & { MessageId: string; ReceiptHandle: string };

/** The messages of a ReceiveMessage answer that carry an id and a receipt handle. */
export function handledMessages(messages: readonly Message[] | undefined): HandledMessage[] {
  return (messages ?? []).filter(
    (m): m is HandledMessage => typeof m.MessageId === 'string' && typeof m.ReceiptHandle === 'string',
  );
}

/** A message as the intake sees it. */
export function receivedMessage(m: HandledMessage): SqsReceivedMessage {
  return {
    messageId: m.MessageId,
    body: m.Body ?? '',
    receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? '1') || 1,
  };
}

/**
 * One DeleteMessageBatch (at most 10 messages, as received): how many were deleted, and the codes
 * of the entries SQS refused (a stale receipt handle: the message comes back and the inbox knows
 * it as a duplicate). Throws when the call itself fails.
 */
export async function deleteMessages(
  client: SQSClient,
  queueUrl: string,
  messages: readonly HandledMessage[],
): Promise<{ deleted: number; failed: string[] }> {
  if (messages.length === 0) return { deleted: 0, failed: [] };
  const out = await client.send(
    new DeleteMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
    }),
  );
  return { deleted: out.Successful?.length ?? 0, failed: (out.Failed ?? []).map((f) => f.Code ?? 'unknown') };
}

/** `event_cache_sqs_errors_total{operation}`: the consumer's and the dead-letter queue's failed calls. */
export function sqsErrors(metrics: MetricsService) {
  return metrics.counter({
    name: 'sqs_errors_total',
    help: 'Failed SQS calls, by operation',
    labelNames: ['operation'],
  });
}
