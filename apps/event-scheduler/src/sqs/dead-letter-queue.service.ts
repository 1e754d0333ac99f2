import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { StoreErrorCode } from '@event-cache/cache-store';
import { APP_CONFIG, type AppConfig, CodedError, MetricsService } from '@event-cache/platform';
import { AppErrorCode } from '../error-status';
import { IntakeGate } from './intake-gate';
import { SqsIntakeService } from './sqs-intake.service';
import { SQS_CLIENT } from './sqs-client.factory';
import { deleteMessages, handledMessages, receivedMessage, sqsErrors } from './sqs-messages';

/** What one redrive did. */
export interface RedriveReport {
  /** Messages taken from the dead-letter queue. */
  received: number;
  /** Committed to the inbox (accepted, duplicate, or recorded as rejected), then deleted from the DLQ. */
  moved: number;
  /** Left in the DLQ (the inbox could not take them now, or the delete failed): visible again later. */
  retained: number;
  /** ApproximateNumberOfMessages of the DLQ afterwards; null when it could not be read. */
  remaining: number | null;
}

/** SQS answers at most this many messages per ReceiveMessage. */
const RECEIVE_MAX = 10;

/**
 * The queue's dead-letter queue (`sqs.deadLetterQueueUrl`): its depth as a metric, read every
 * `sqs.deadLetterPollSeconds` with one GetQueueAttributes call, and the redrive an operator starts
 * once the cause is fixed. A redrive receives the DLQ's messages and hands them to the same intake
 * as fresh queue messages (parsed, validated, inboxed with dedupe by event id); each is deleted
 * from the DLQ only once its inbox row is committed. It stops at the first batch the inbox could
 * not take, and refuses to start while the database is unavailable.
 */
@Injectable()
export class DeadLetterQueue implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DeadLetterQueue.name);
  private readonly url: string | undefined;
  private readonly options: AppConfig['sqs'];
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private redriving = false;
  private readonly depthGauge;
  private readonly redriven;
  private readonly errors;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(SQS_CLIENT) private readonly client: SQSClient | null,
    private readonly intake: SqsIntakeService,
    private readonly gate: IntakeGate,
    metrics: MetricsService,
  ) {
    this.options = config.sqs;
    this.url = config.sqs.deadLetterQueueUrl;
    this.depthGauge = metrics.gauge({
      name: 'sqs_dead_letter_messages',
      help: "Messages in the queue's dead-letter queue (ApproximateNumberOfMessages, read periodically)",
    });
    this.redriven = metrics.counter({
      name: 'sqs_dead_letter_redriven_total',
      help: 'Dead-letter messages redriven into the inbox (committed, then deleted from the DLQ)',
    });
    this.errors = sqsErrors(metrics);
  }

  onApplicationBootstrap(): void {
    if (!this.url || !this.client) return;
    const poll = () => {
      this.polling ??= this.readDepth().then(
        () => (this.polling = undefined),
        () => (this.polling = undefined), // counted and logged; the gauge keeps its last value
      );
    };
    poll();
    this.timer = setInterval(poll, this.options.deadLetterPollSeconds * 1000);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.polling;
  }

  /** Moves up to `max` messages from the dead-letter queue into the inbox. */
  async redrive(max: number): Promise<RedriveReport> {
    const { url, client } = this;
    if (!url || !client) {
      throw new CodedError(AppErrorCode.NotFound, 'no dead-letter queue: sqs.deadLetterQueueUrl is not set');
    }
    if (!this.gate.open) {
      throw new CodedError(StoreErrorCode.DatabaseUnavailable, 'the inbox cannot be written now', {
        retryAfterSeconds: 5,
      });
    }
    if (this.redriving) {
      throw new CodedError(AppErrorCode.Conflict, 'a redrive of the dead-letter queue is already running');
    }
    this.redriving = true;
    try {
      const report = await this.move(client, url, max);
      this.logger.log({ msg: 'dead-letter queue redriven', ...report });
      return report;
    } finally {
      this.redriving = false;
    }
  }

  private async move(client: SQSClient, url: string, max: number): Promise<RedriveReport> {
    let received = 0;
    let moved = 0;
    while (received < max) {
      const out = await this.call('dead_letter_receive', () =>
        client.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: Math.min(RECEIVE_MAX, max - received),
            // A short long poll asks every SQS server, so an empty answer means empty.
            WaitTimeSeconds: 1,
            // Retained messages stay out of sight for the rest of this redrive.
            VisibilityTimeout: this.options.visibilityTimeoutSeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
        ),
      );
      const messages = handledMessages(out.Messages);
      if (messages.length === 0) break;
      received += messages.length;
      const dispositions = await this.intake.ingest(messages.map(receivedMessage), {
        waitForDatabase: false,
      });
      const committed = messages.filter((_, i) => dispositions[i] === 'delete');
      const { deleted, failed } = await this.call('dead_letter_delete', () =>
        deleteMessages(client, url, committed),
      );
      if (failed.length) this.errors.inc({ operation: 'dead_letter_delete' }, failed.length);
      moved += deleted;
      this.redriven.inc(deleted);
      if (committed.length < messages.length) break; // the inbox could not take them: stop here
    }
    const remaining = await this.readDepth().catch(() => null);
    return { received, moved, retained: received - moved, remaining };
  }

  private async readDepth(): Promise<number> {
    const out = await this.call('dead_letter_depth', () =>
      this.client!.send(
        new GetQueueAttributesCommand({
          QueueUrl: this.url,
          AttributeNames: ['ApproximateNumberOfMessages'],
        }),
      ),
    );
    const depth = Number(out.Attributes?.ApproximateNumberOfMessages);
    if (!Number.isFinite(depth))
      throw new Error('GetQueueAttributes answered no ApproximateNumberOfMessages');
    this.depthGauge.set(depth);
    return depth;
  }

  /** An SQS call; a failure is counted, logged once and rethrown. */
  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      this.errors.inc({ operation });
      this.logger.warn({
        msg: `SQS ${operation} failed`,
        err: error instanceof Error ? { name: error.name, message: error.message } : String(error),
      });
      throw error;
    }
  }
}
