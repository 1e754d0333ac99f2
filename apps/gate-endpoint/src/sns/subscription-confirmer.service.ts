import { Injectable, Logger } from '@nestjs/common';
import { isTrustedSubscribeUrl, type SnsSubscriptionConfirmation } from '@event-cache/events';
import { CodedError } from '@event-cache/platform';
import { AppErrorCode } from '../error-status';
import { fetchText } from './https-text.fetcher';

const CONFIRM = { timeoutMs: 10_000, maxBytes: 64 * 1024 };

/**
 * Confirms a verified SNS subscription by GETting its SubscribeURL (https on the SNS endpoint of
 * the topic's region only).
 */
@Injectable()
export class SubscriptionConfirmer {
  private readonly logger = new Logger(SubscriptionConfirmer.name);

  async confirm(message: SnsSubscriptionConfirmation): Promise<void> {
    // The verifier checked it already; checked again right where the request is made.
    if (!isTrustedSubscribeUrl(message.SubscribeURL, message.TopicArn)) {
      throw new CodedError(
        'untrusted_subscribe_url',
        "SubscribeURL is not https on the SNS endpoint of the topic's region",
      );
    }
    try {
      await fetchText(message.SubscribeURL, CONFIRM);
    } catch (error) {
      this.logger.error({
        msg: 'SNS subscription confirmation failed (SNS will retry)',
        topicArn: message.TopicArn,
        eventId: message.MessageId,
        err: error instanceof Error ? error.message : String(error),
      });
      throw new CodedError(AppErrorCode.SubscriptionConfirmationFailed, 'could not confirm the subscription');
    }
    this.logger.warn({
      msg: 'SNS subscription confirmed',
      topicArn: message.TopicArn,
      eventId: message.MessageId,
    });
  }
}
