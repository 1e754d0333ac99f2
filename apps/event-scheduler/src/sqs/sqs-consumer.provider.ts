import { Inject, Injectable, Logger } from '@nestjs/common';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { APP_CONFIG, type AppConfig, MetricsService } from '@event-cache/platform';
import { createSqsClient } from './sqs-client.factory';
import { SqsTransport } from './sqs.transport';

/** The SQS transport of this process, or none when `sqs.queueUrl` is not configured. */
@Injectable()
export class SqsConsumer {
  readonly transport: SqsTransport | undefined;

  constructor(@Inject(APP_CONFIG) config: AppConfig, metrics: MetricsService) {
    const { sqs } = config;
    if (!sqs.queueUrl) {
      new Logger(SqsConsumer.name).log('sqs.queueUrl is not set: the SQS consumer is off');
      return;
    }
    const client: SQSClient = createSqsClient(sqs);
    this.transport = new SqsTransport({
      client,
      queueUrl: sqs.queueUrl,
      waitTimeSeconds: sqs.waitTimeSeconds,
      maxMessages: sqs.maxMessages,
      concurrency: sqs.concurrency,
      visibilityTimeoutSeconds: sqs.visibilityTimeoutSeconds,
      logger: new Logger(SqsTransport.name),
      metrics,
    });
  }
}
