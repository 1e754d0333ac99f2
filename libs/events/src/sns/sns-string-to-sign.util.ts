import { type SnsMessage } from '../model/sns.model';

/**
 * The string SNS signs, exactly as AWS documents it: selected fields in byte order of their names,
 * each as `Name\nValue\n`.
 * - Notification: Message, MessageId, Subject (only if present), Timestamp, TopicArn, Type.
 * - SubscriptionConfirmation / UnsubscribeConfirmation: Message, MessageId, SubscribeURL,
 *   Timestamp, Token, TopicArn, Type.
 */
export function snsStringToSign(m: SnsMessage): string {
  if (m.Type === 'Notification') {
    return (
      `Message\n${m.Message}\n` +
      `MessageId\n${m.MessageId}\n` +
      (m.Subject === undefined ? '' : `Subject\n${m.Subject}\n`) +
      `Timestamp\n${m.Timestamp}\n` +
      `TopicArn\n${m.TopicArn}\n` +
      `Type\n${m.Type}\n`
    );
  }
  return (
    `Message\n${m.Message}\n` +
    `MessageId\n${m.MessageId}\n` +
    `SubscribeURL\n${m.SubscribeURL}\n` +
    `Timestamp\n${m.Timestamp}\n` +
    `Token\n${m.Token}\n` +
    `TopicArn\n${m.TopicArn}\n` +
    `Type\n${m.Type}\n`
  );
}
