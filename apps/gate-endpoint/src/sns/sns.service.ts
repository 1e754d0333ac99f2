import { Inject, Injectable, Logger } from '@nestjs/common';
import { parseSnsHttpBody, parseSnsNotificationMessage, type SnsVerifier } from '@event-cache/events';
import { MetricsService } from '@event-cache/platform';
import type { Request } from 'express';
import { InboxIntakeService } from '../ingest/inbox-intake.service';
import { SNS_VERIFIER } from './sns-verifier.provider';
import { SubscriptionConfirmer } from './subscription-confirmer.service';

export interface SnsReceipt {
  type: 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  /** The inbox id (EventBridge id or SNS MessageId) of a notification. */
  eventId?: string;
  status: 'accepted' | 'duplicate' | 'confirmed' | 'noted';
}

/**
 * The SNS HTTPS subscription endpoint (docs/architecture.md#sns-over-https). The body is parsed and verified before
 * anything acts on it; a subscription is confirmed only after every check passed; notifications
 * go into the inbox and are answered after commit. Every refusal carries its reason code.
 */
@Injectable()
export class SnsService {
  private readonly logger = new Logger(SnsService.name);
  private readonly messages;

  constructor(
    @Inject(SNS_VERIFIER) private readonly verifier: SnsVerifier,
    private readonly confirmer: SubscriptionConfirmer,
    private readonly intake: InboxIntakeService,
    metrics: MetricsService,
  ) {
    this.messages = metrics.counter({
      name: 'sns_messages_total',
      help: 'Verified SNS messages by type',
      labelNames: ['type'],
    });
  }

  async receive(req: Request, messageType: string | undefined): Promise<SnsReceipt> {
    const envelope = parseSnsHttpBody(await this.intake.body('sns', req), { messageType });
    if (!envelope.ok) throw this.intake.rejection('sns', envelope);
    const verified = await this.verifier.verify(envelope.value);
    if (!verified.ok) throw this.intake.rejection('sns', verified);
    const message = verified.value;
    this.messages.inc({ type: message.Type });
    switch (message.Type) {
      case 'SubscriptionConfirmation':
        await this.confirmer.confirm(message);
        return { type: message.Type, status: 'confirmed' };
      case 'UnsubscribeConfirmation':
        // Loud on purpose: events from this topic stop arriving until someone resubscribes.
        this.logger.error({
          msg: 'SNS subscription removed: no more notifications from this topic',
          topicArn: message.TopicArn,
          eventId: message.MessageId,
        });
        return { type: message.Type, status: 'noted' };
      case 'Notification': {
        const ingested = parseSnsNotificationMessage(message);
        if (!ingested.ok) throw this.intake.rejection('sns', ingested);
        const receipt = await this.intake.accept(ingested.value, 'sns');
        return { type: message.Type, ...receipt };
      }
    }
  }
}
