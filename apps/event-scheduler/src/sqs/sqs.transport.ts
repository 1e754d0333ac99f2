import type { LoggerService } from '@nestjs/common';
import { type CustomTransportStrategy, Server } from '@nestjs/microservices';
import {
  ChangeMessageVisibilityBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { lastValueFrom } from 'rxjs';
import type { MetricsService } from '@event-cache/platform';
import {
  deleteMessages,
  type HandledMessage,
  handledMessages,
  receivedMessage,
  sqsErrors,
} from './sqs-messages';
import { SQS_BATCH_PATTERN, SqsContext, type SqsDisposition, type SqsReceivedMessage } from './sqs.model';

export interface SqsTransportOptions {
  client: SQSClient;
  queueUrl: string;
  /** Long polling: how long one ReceiveMessage waits for messages (SQS maximum 20). */
  waitTimeSeconds: number;
  /** Messages per ReceiveMessage (SQS maximum 10). */
  maxMessages: number;
  /** Receive loops running in parallel. */
  concurrency: number;
  visibilityTimeoutSeconds: number;
  logger: LoggerService;
  metrics: MetricsService;
  /** Receiving waits while it is closed (the inbox cannot be written); `false`: shutting down. */
  gate?: { whenOpen(signal: AbortSignal): Promise<boolean> };
}

const STOPPED = Symbol('stopped');
const MAX_BACKOFF_MS = 20_000;

/**
 * The SQS consumer as a Nest microservice transport (`app.connectMicroservice({ strategy })`).
 *
 * `concurrency` loops long-poll the queue (each waits first while the `gate` is closed); each
 * received batch goes to the `SQS_BATCH_PATTERN` handler, which answers one disposition per message. Messages are deleted only when the handler
 * says so (after their inbox rows are committed); everything else is left to SQS redelivery. While
 * a batch is being handled its visibility is extended, so a slow database does not hand the same
 * message to another consumer. `close()` stops receiving (an in-flight long poll is abandoned and
 * whatever it still returns is made visible again), lets in-flight batches finish, then resolves.
 */
export class SqsTransport extends Server implements CustomTransportStrategy {
  private readonly abort = new AbortController();
  /** Resolves once close() is called (one listener for the transport's whole life). */
  private readonly stopped = new Promise<typeof STOPPED>((resolve) =>
    this.abort.signal.addEventListener('abort', () => resolve(STOPPED), { once: true }),
  );
  private readonly loops: Promise<void>[] = [];
  private stopping = false;
  private readonly received;
  private readonly deleted;
  private readonly retained;
  private readonly errors;
  private readonly extensions;

  constructor(private readonly options: SqsTransportOptions) {
    super();
    const { metrics } = options;
    this.received = metrics.counter({ name: 'sqs_messages_received_total', help: 'SQS messages received' });
    this.deleted = metrics.counter({
      name: 'sqs_messages_deleted_total',
      help: 'SQS messages deleted after their inbox rows were committed',
    });
    this.retained = metrics.counter({
      name: 'sqs_messages_retained_total',
      help: 'SQS messages left for redelivery (transient failure)',
    });
    this.errors = sqsErrors(metrics);
    this.extensions = metrics.counter({
      name: 'sqs_visibility_extensions_total',
      help: 'Visibility extensions of messages still being handled',
    });
  }

  listen(callback: (...optionalParams: unknown[]) => unknown): void {
    for (let i = 0; i < this.options.concurrency; i++) this.loops.push(this.loop());
    callback();
  }

  /** Graceful shutdown: stop receiving, finish in-flight batches, then resolve. */
  async close(): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    await Promise.allSettled(this.loops);
  }

  on(): never {
    throw new Error('the SQS transport has no events to subscribe to');
  }

  unwrap<T>(): T {
    return this.options.client as T;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      if (this.options.gate && !(await this.options.gate.whenOpen(this.abort.signal))) break;
      let messages: Message[];
      try {
        messages = await this.receive();
        failures = 0;
      } catch (error) {
        if (this.stopping) break;
        failures += 1;
        this.errors.inc({ operation: 'receive' });
        this.options.logger.warn({ msg: 'SQS ReceiveMessage failed', err: describe(error), failures });
        await this.pause(Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(failures, 10)));
        continue;
      }
      if (messages.length > 0) await this.handle(messages);
    }
  }

  private async receive(): Promise<Message[]> {
    const { client, queueUrl, maxMessages, waitTimeSeconds, visibilityTimeoutSeconds } = this.options;
    const pending = client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: maxMessages,
        WaitTimeSeconds: waitTimeSeconds,
        VisibilityTimeout: visibilityTimeoutSeconds,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
      { abortSignal: this.abort.signal },
    );
    const outcome = await Promise.race([pending, this.stopped]);
    if (outcome === STOPPED) {
      // Shutting down: whatever this poll still returns goes straight back to the queue.
      pending.then(
        (late) => this.release(late.Messages ?? []),
        () => undefined,
      );
      return [];
    }
    return outcome.Messages ?? [];
  }

  private async handle(messages: Message[]): Promise<void> {
    const usable = handledMessages(messages);
    this.received.inc(usable.length);
    const batch = usable.map(receivedMessage);
    const extension = this.keepInvisible(usable);
    try {
      const dispositions = await this.dispatch(batch);
      const done = usable.filter((_, i) => dispositions[i] === 'delete');
      this.retained.inc(usable.length - done.length);
      await this.delete(done);
    } finally {
      clearInterval(extension);
    }
  }

  /** The handler's dispositions; any failure of the handler itself retains the whole batch. */
  private async dispatch(batch: SqsReceivedMessage[]): Promise<SqsDisposition[]> {
    const handler = this.getHandlerByPattern(SQS_BATCH_PATTERN);
    if (!handler) {
      this.options.logger.error({ msg: `no handler for ${SQS_BATCH_PATTERN}: messages retained` });
      return batch.map(() => 'retain');
    }
    try {
      const result = this.transformToObservable(
        await handler(batch, new SqsContext([this.options.queueUrl])),
      );
      const dispositions = (await lastValueFrom(result)) as SqsDisposition[] | undefined;
      return batch.map((_, i) => dispositions?.[i] ?? 'retain');
    } catch (error) {
      this.options.logger.error({ msg: 'SQS batch handler failed: messages retained', err: describe(error) });
      return batch.map(() => 'retain');
    }
  }

  private keepInvisible(messages: HandledMessage[]): NodeJS.Timeout {
    const { visibilityTimeoutSeconds } = this.options;
    const timer = setInterval(
      () => {
        this.extensions.inc(messages.length);
        void this.changeVisibility(messages, visibilityTimeoutSeconds, 'extend_visibility');
      },
      (visibilityTimeoutSeconds * 1000) / 2,
    );
    timer.unref();
    return timer;
  }

  private async delete(messages: HandledMessage[]): Promise<void> {
    try {
      const { deleted, failed } = await deleteMessages(this.options.client, this.options.queueUrl, messages);
      this.deleted.inc(deleted);
      if (failed.length) {
        // Redelivered later: the inbox recognizes the copy as a duplicate.
        this.errors.inc({ operation: 'delete' }, failed.length);
        this.options.logger.warn({ msg: 'SQS DeleteMessageBatch partly failed', failed });
      }
    } catch (error) {
      this.errors.inc({ operation: 'delete' });
      this.options.logger.warn({ msg: 'SQS DeleteMessageBatch failed', err: describe(error) });
    }
  }

  private release(messages: Message[]): Promise<void> {
    return this.changeVisibility(handledMessages(messages), 0, 'release');
  }

  private async changeVisibility(
    messages: (Message & { ReceiptHandle: string })[],
    seconds: number,
    operation: string,
  ): Promise<void> {
    if (messages.length === 0) return;
    try {
      await this.options.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: messages.map((m, i) => ({
            Id: String(i),
            ReceiptHandle: m.ReceiptHandle,
            VisibilityTimeout: seconds,
          })),
        }),
      );
    } catch (error) {
      this.errors.inc({ operation });
      this.options.logger.warn({
        msg: `SQS ChangeMessageVisibilityBatch (${operation}) failed`,
        err: describe(error),
      });
    }
  }

  private async pause(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, ms))), this.stopped]);
    clearTimeout(timer);
  }
}

function describe(error: unknown): { name?: string; message: string } {
  return error instanceof Error ? { name: error.name, message: error.message } : { message: String(error) };
}
