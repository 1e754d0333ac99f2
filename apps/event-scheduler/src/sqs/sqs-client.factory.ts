import { SQSClient } from '@aws-sdk/client-sqs';
import { APP_CONFIG, type AppConfig, ConfigError } from '@event-cache/platform';

const REGION_IN_HOST = /(?:^|\.)([a-z]{2}(?:-[a-z]+)+-\d)\./;

/** The queue's region: `sqs.region`, else the one in the queue URL's host (or the DLQ's). */
export function queueRegion(sqs: AppConfig['sqs']): string {
  if (sqs.region) return sqs.region;
  const url = sqs.queueUrl ?? sqs.deadLetterQueueUrl;
  const host = url ? new URL(url).hostname : '';
  const match = REGION_IN_HOST.exec(host);
  if (!match) throw new ConfigError(['sqs.region: required when the queue URL does not name a region']);
  return match[1];
}

/** Injection token of the SQS client of the configured queues, `null` when none is configured. */
export const SQS_CLIENT = Symbol('SQS_CLIENT');

export const sqsClientProvider = {
  provide: SQS_CLIENT,
  useFactory: (config: AppConfig): SQSClient | null =>
    config.sqs.queueUrl || config.sqs.deadLetterQueueUrl ? createSqsClient(config.sqs) : null,
  inject: [APP_CONFIG],
};

/** An SQS client for the configured queue (a custom endpoint for LocalStack or another SQS). */
export function createSqsClient(sqs: AppConfig['sqs']): SQSClient {
  return new SQSClient({
    region: queueRegion(sqs),
    ...(sqs.endpoint ? { endpoint: sqs.endpoint } : {}),
    // Long polls last up to 20 s: keep the socket open longer than that.
    requestHandler: { requestTimeout: (sqs.waitTimeSeconds + 10) * 1000 },
  });
}
