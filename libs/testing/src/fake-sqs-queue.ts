import { createHash, randomUUID } from 'node:crypto';
import {
  type ChangeMessageVisibilityBatchCommandInput,
  type ChangeMessageVisibilityBatchCommandOutput,
  ChangeMessageVisibilityBatchCommand,
  type DeleteMessageBatchCommandInput,
  type DeleteMessageBatchCommandOutput,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type GetQueueAttributesCommandInput,
  type GetQueueAttributesCommandOutput,
  type Message,
  type ReceiveMessageCommandInput,
  type ReceiveMessageCommandOutput,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';

interface StoredMessage {
  messageId: string;
  body: string;
  sentAt: number;
  receiveCount: number;
  visibleAt: number;
  /** The receipt handle of the latest receive; older handles are stale. */
  receiptHandle: string | undefined;
  deleted: boolean;
}

const metadata = () => ({
  $metadata: { httpStatusCode: 200, requestId: randomUUID(), attempts: 1, totalRetryDelay: 0 },
});

/**
 * An in-memory SQS queue with the semantics the consumer relies on: long polling (returns as soon
 * as a message is visible, or empty after WaitTimeSeconds), visibility timeouts, a new receipt
 * handle per receive (stale handles fail with ReceiptHandleIsInvalid), ApproximateReceiveCount,
 * batch delete / visibility change answering Successful/Failed like SQS, the approximate counts of
 * GetQueueAttributes, and a redrive policy (`redriveTo`: a message received `maxReceiveCount`
 * times moves to the dead-letter queue instead of being received again). `install()` routes every
 * SQSClient's ReceiveMessage, DeleteMessageBatch, ChangeMessageVisibilityBatch and
 * GetQueueAttributes to it (and to the other queues given, by QueueUrl) through aws-sdk-client-mock.
 */
export class FakeSqsQueue {
  readonly calls = { receive: 0, delete: 0, changeVisibility: 0, getAttributes: 0 };
  /** Visibility changes as `[messageId, seconds]`, in order. */
  readonly visibilityChanges: [string, number][] = [];
  /** Messages not deleted yet, in send order; deleted ones move to `deleted`. */
  private readonly messages = new Map<string, StoredMessage>();
  private readonly deleted = new Map<string, StoredMessage>();
  private readonly listeners = new Set<() => void>();
  private closed = false;
  private receiveFailures: Error[] = [];
  private deleteFailures: Error[] = [];
  private redrive: { deadLetter: FakeSqsQueue; maxReceiveCount: number } | undefined;

  constructor(
    readonly url = 'https://sqs.us-east-1.amazonaws.com/123456789012/event-cache-events',
    /** The queue's default visibility timeout. */
    private readonly defaultVisibilitySeconds = 30,
  ) {}

  /**
   * Routes SQSClient calls here (and to `others`, by QueueUrl); call the returned function to
   * restore the real client.
   */
  install(...others: FakeSqsQueue[]): () => void {
    const queues = [this, ...others];
    const queue = (url: string | undefined) => {
      const found = queues.find((q) => q.url === url);
      if (found) return found;
      const error = new Error('The specified queue does not exist.');
      error.name = 'QueueDoesNotExist';
      throw error;
    };
    const mock = mockClient(SQSClient);
    mock
      .on(ReceiveMessageCommand)
      .callsFake((input: ReceiveMessageCommandInput) => queue(input.QueueUrl).receive(input))
      .on(DeleteMessageBatchCommand)
      .callsFake((input: DeleteMessageBatchCommandInput) => queue(input.QueueUrl).deleteBatch(input))
      .on(ChangeMessageVisibilityBatchCommand)
      .callsFake((input: ChangeMessageVisibilityBatchCommandInput) =>
        queue(input.QueueUrl).changeVisibilityBatch(input),
      )
      .on(GetQueueAttributesCommand)
      .callsFake((input: GetQueueAttributesCommandInput) => queue(input.QueueUrl).getAttributes(input));
    return () => {
      for (const q of queues) q.close();
      mock.restore();
    };
  }

  /** The queue's redrive policy: a message received `maxReceiveCount` times moves to `deadLetter`. */
  redriveTo(deadLetter: FakeSqsQueue, maxReceiveCount: number): void {
    this.redrive = { deadLetter, maxReceiveCount };
  }

  /** Sends a message (a string body, or JSON of anything else); returns its MessageId. */
  send(body: unknown, messageId: string = randomUUID()): string {
    this.messages.set(messageId, {
      messageId,
      body: typeof body === 'string' ? body : JSON.stringify(body),
      sentAt: Date.now(),
      receiveCount: 0,
      visibleAt: 0,
      receiptHandle: undefined,
      deleted: false,
    });
    this.changed();
    return messageId;
  }

  /** Ids of the messages not deleted yet, visible or in flight (a dead-letter queue's content). */
  get messageIds(): string[] {
    return [...this.messages.keys()];
  }

  /** Makes ReceiveMessage fail with this error (once per error given). */
  failReceive(...errors: Error[]): void {
    this.receiveFailures.push(...errors);
  }

  /** Makes DeleteMessageBatch fail with this error (once per error given); nothing is deleted. */
  failDelete(...errors: Error[]): void {
    this.deleteFailures.push(...errors);
  }

  /** The visibility timeout of an in-flight message runs out now: it is delivered again. */
  expireVisibility(messageId: string): void {
    const message = this.require(messageId);
    message.visibleAt = 0;
    this.changed();
  }

  isDeleted(messageId: string): boolean {
    return this.require(messageId).deleted;
  }

  /** How many messages were deleted so far. */
  get deletedCount(): number {
    return this.deleted.size;
  }

  receiveCount(messageId: string): number {
    return this.require(messageId).receiveCount;
  }

  /** Messages not deleted yet (visible or in flight). */
  get undeleted(): string[] {
    return [...this.messages.keys()];
  }

  /** Resolves once `predicate` holds (checked on every change of the queue), rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`FakeSqsQueue: timed out waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
    });
  }

  /** Ends pending long polls (empty answers). */
  close(): void {
    this.closed = true;
    this.changed();
  }

  async receive(input: ReceiveMessageCommandInput): Promise<ReceiveMessageCommandOutput> {
    this.calls.receive += 1;
    this.assertQueue(input.QueueUrl);
    const failure = this.receiveFailures.shift();
    if (failure) throw failure;
    const max = input.MaxNumberOfMessages ?? 1;
    const deadline = Date.now() + (input.WaitTimeSeconds ?? 0) * 1000;
    for (;;) {
      const now = Date.now();
      const visible: StoredMessage[] = [];
      for (const m of [...this.messages.values()]) {
        if (visible.length === max) break;
        if (m.visibleAt > now) continue;
        if (this.redrive && m.receiveCount >= this.redrive.maxReceiveCount) {
          // As SQS does: a message received maxReceiveCount times moves to the DLQ, keeping its id.
          this.messages.delete(m.messageId);
          this.redrive.deadLetter.send(m.body, m.messageId);
          continue;
        }
        visible.push(m);
      }
      if (visible.length > 0 || this.closed || now >= deadline) {
        const visibility = (input.VisibilityTimeout ?? this.defaultVisibilitySeconds) * 1000;
        const messages = visible.map((m) => this.deliver(m, now + visibility));
        return { ...metadata(), ...(messages.length ? { Messages: messages } : {}) };
      }
      await this.nextChange(deadline - now);
    }
  }

  deleteBatch(input: DeleteMessageBatchCommandInput): DeleteMessageBatchCommandOutput {
    this.calls.delete += 1;
    this.assertQueue(input.QueueUrl);
    const failure = this.deleteFailures.shift();
    if (failure) {
      this.changed();
      throw failure;
    }
    const out = this.applyBatch(input.Entries ?? [], (message) => {
      message.deleted = true;
      this.messages.delete(message.messageId);
      this.deleted.set(message.messageId, message);
    });
    this.changed();
    return { ...metadata(), ...out };
  }

  changeVisibilityBatch(
    input: ChangeMessageVisibilityBatchCommandInput,
  ): ChangeMessageVisibilityBatchCommandOutput {
    this.calls.changeVisibility += 1;
    this.assertQueue(input.QueueUrl);
    const now = Date.now();
    const out = this.applyBatch(input.Entries ?? [], (message, entry) => {
      const seconds = (entry as { VisibilityTimeout?: number }).VisibilityTimeout ?? 0;
      message.visibleAt = now + seconds * 1000;
      this.visibilityChanges.push([message.messageId, seconds]);
    });
    this.changed();
    return { ...metadata(), ...out };
  }

  getAttributes(input: GetQueueAttributesCommandInput): GetQueueAttributesCommandOutput {
    this.calls.getAttributes += 1;
    this.assertQueue(input.QueueUrl);
    const now = Date.now();
    const messages = [...this.messages.values()];
    const visible = messages.filter((m) => m.visibleAt <= now).length;
    const all: Record<string, string> = {
      ApproximateNumberOfMessages: String(visible),
      ApproximateNumberOfMessagesNotVisible: String(messages.length - visible),
      QueueArn: `arn:aws:sqs:us-east-1:123456789012:${this.url.split('/').pop()}`,
    };
    const names = input.AttributeNames ?? [];
    const wanted = names.includes('All') ? Object.keys(all) : names.filter((n) => n in all);
    return { ...metadata(), Attributes: Object.fromEntries(wanted.map((n) => [n, all[n]])) };
  }

  private applyBatch(
    entries: { Id: string | undefined; ReceiptHandle: string | undefined }[],
    apply: (message: StoredMessage, entry: object) => void,
  ) {
    const Successful: { Id: string }[] = [];
    const Failed: { Id: string; SenderFault: boolean; Code: string; Message: string }[] = [];
    for (const entry of entries) {
      const id = entry.Id ?? '';
      const message = this.byReceiptHandle(entry.ReceiptHandle);
      if (!message || message.deleted) {
        Failed.push({
          Id: id,
          SenderFault: true,
          Code: 'ReceiptHandleIsInvalid',
          Message: 'The input receipt handle is invalid.',
        });
        continue;
      }
      apply(message, entry);
      Successful.push({ Id: id });
    }
    return { Successful, ...(Failed.length ? { Failed } : { Failed: [] }) };
  }

  /** The message a receipt handle belongs to, if it is the latest handle of a message not deleted. */
  private byReceiptHandle(handle: string | undefined): StoredMessage | undefined {
    const messageId = handle?.split('#')[0];
    const message = messageId === undefined ? undefined : this.messages.get(messageId);
    return message?.receiptHandle === handle ? message : undefined;
  }

  private deliver(message: StoredMessage, visibleAt: number): Message {
    message.receiveCount += 1;
    message.visibleAt = visibleAt;
    message.receiptHandle = `${message.messageId}#${message.receiveCount}#${randomUUID()}`;
    return {
      MessageId: message.messageId,
      ReceiptHandle: message.receiptHandle,
      MD5OfBody: createHash('md5').update(message.body).digest('hex'),
      Body: message.body,
      Attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentAt),
        ApproximateFirstReceiveTimestamp: String(Date.now()),
        SenderId: 'AIDAEXAMPLEEXAMPLE',
      },
    };
  }

  private nextChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(done);
        resolve();
      };
      // Visibility timeouts expire without a change event: look again at least every 50 ms.
      const timer = setTimeout(done, Math.max(1, Math.min(ms, 50)));
      timer.unref();
      this.listeners.add(done);
    });
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private require(messageId: string): StoredMessage {
    const message = this.messages.get(messageId) ?? this.deleted.get(messageId);
    if (!message) throw new Error(`FakeSqsQueue: no message ${messageId}`);
    return message;
  }

  private assertQueue(url: string | undefined): void {
    if (url !== this.url) {
      const error = new Error('The specified queue does not exist.');
      error.name = 'QueueDoesNotExist';
      throw error;
    }
  }
}
