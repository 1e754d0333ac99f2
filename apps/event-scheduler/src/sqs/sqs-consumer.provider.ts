import { Inject, Injectable, Logger } from '@nestjs/common';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { APP_CONFIG, type AppConfig, MetricsService } from '@event-cache/platform';
import { IntakeGate } from './intake-gate';
import { SQS_CLIENT } from './sqs-client.factory';
import { SqsTransport } from './sqs.transport';

/** The SQS transport of this process, or none when `sqs.queueUrl` is not configured. */
@Injectable()
export class SqsConsumer {
  readonly transport: SqsTransport | undefined;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(SQS_CLIENT) client: SQSClient | null,
    gate: IntakeGate,
    metrics: MetricsService,
  ) {
    const { sqs } = config;
    if (!sqs.queueUrl || !client) {
      new Logger(SqsConsumer.name).log('sqs.queueUrl is not set: the SQS consumer is off');
      return;
    }
    this.transport = new SqsTransport({
      client,
      queueUrl: sqs.queueUrl,
      waitTimeSeconds: sqs.waitTimeSeconds,
      maxMessages: sqs.maxMessages,
      concurrency: sqs.concurrency,
      visibilityTimeoutSeconds: sqs.visibilityTimeoutSeconds,
      logger: new Logger(SqsTransport.name),
      metrics,
      gate,
    });
  }
}
