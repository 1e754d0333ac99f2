/** SNS HTTP(S) message bodies, field names as AWS sends them. */
export type SnsMessageType = 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';

export const SNS_MESSAGE_TYPES: readonly SnsMessageType[] = [
  'Notification',
  'SubscriptionConfirmation',
  'UnsubscribeConfirmation',
];

interface SnsMessageBase {
  readonly MessageId: string;
  readonly TopicArn: string;
  /** For a Notification, the published payload (for us a JSON string); for confirmations, prose. */
  readonly Message: string;
  /** ISO 8601. */
  readonly Timestamp: string;
  /** `1` (SHA1withRSA) or `2` (SHA256withRSA); anything else is refused at verification. */
  readonly SignatureVersion: string;
  /** Base64. */
  readonly Signature: string;
  readonly SigningCertURL: string;
}

export interface SnsNotification extends SnsMessageBase {
  readonly Type: 'Notification';
  readonly Subject?: string;
  readonly UnsubscribeURL?: string;
}

export interface SnsSubscriptionConfirmation extends SnsMessageBase {
  readonly Type: 'SubscriptionConfirmation';
  readonly Token: string;
  /** Visit (GET) to confirm; only after verification, and only when it is https on the SNS host. */
  readonly SubscribeURL: string;
}

export interface SnsUnsubscribeConfirmation extends SnsMessageBase {
  readonly Type: 'UnsubscribeConfirmation';
  readonly Token: string;
  readonly SubscribeURL: string;
}

export type SnsMessage = SnsNotification | SnsSubscriptionConfirmation | SnsUnsubscribeConfirmation;
