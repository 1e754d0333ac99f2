import type { LoggerService } from '@nestjs/common';
import { SQSClient } from '@aws-sdk/client-sqs';
import { MetricsService } from '@event-cache/platform';
import { FakeSqsQueue } from '@event-cache/testing';
import { SQS_BATCH_PATTERN, type SqsDisposition, type SqsReceivedMessage } from './sqs.model';
import { SqsTransport } from './sqs.transport';

const quietLogger: LoggerService = { log: () => undefined, warn: () => undefined, error: () => undefined };

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('SqsTransport', () => {
  let queue: FakeSqsQueue;
  let restore: () => void;
  let transport: SqsTransport | undefined;

  beforeEach(() => {
    queue = new FakeSqsQueue();
    restore = queue.install();
  });
  afterEach(async () => {
    await transport?.close();
    transport = undefined;
    restore();
  });

  function start(
    handler: (batch: SqsReceivedMessage[]) => Promise<SqsDisposition[]>,
    options: { visibilityTimeoutSeconds?: number; concurrency?: number } = {},
  ): SqsTransport {
    transport = new SqsTransport({
      client: new SQSClient({ region: 'us-east-1' }),
      queueUrl: queue.url,
      waitTimeSeconds: 20,
      maxMessages: 10,
      concurrency: options.concurrency ?? 1,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 30,
      logger: quietLogger,
      metrics: new MetricsService(),
    });
    transport.addHandler(SQS_BATCH_PATTERN, (batch: SqsReceivedMessage[]) => handler(batch));
    transport.listen(() => undefined);
    return transport;
  }

  it('long-polls, hands each batch to the handler and deletes only what the handler says to', async () => {
    const batches: SqsReceivedMessage[][] = [];
    const keep = queue.send('keep');
    const drop = queue.send('drop');
    start((batch) => {
      batches.push(batch);
      return Promise.resolve(batch.map((m) => (m.body === 'drop' ? 'delete' : 'retain')));
    });
    await queue.waitFor(() => queue.isDeleted(drop), 'the delete');
    expect(batches).toEqual([
      [
        { messageId: keep, body: 'keep', receiveCount: 1 },
        { messageId: drop, body: 'drop', receiveCount: 1 },
      ],
    ]);
    expect(queue.isDeleted(keep)).toBe(false);
    expect(queue.calls.delete).toBe(1);
  });

  it('keeps a message invisible while it is still being handled, and stops once it is done', async () => {
    const release = deferred<SqsDisposition[]>();
    const id = queue.send('slow');
    start(() => release.promise, { visibilityTimeoutSeconds: 0.1 });
    await queue.waitFor(() => queue.visibilityChanges.length >= 3, 'three extensions');
    expect(queue.visibilityChanges.slice(0, 3)).toEqual([
      [id, 0.1],
      [id, 0.1],
      [id, 0.1],
    ]);
    expect(queue.receiveCount(id)).toBe(1); // never handed out twice
    release.resolve(['delete']);
    await queue.waitFor(() => queue.isDeleted(id), 'the delete');
    const after = queue.visibilityChanges.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(queue.visibilityChanges.length).toBe(after);
  });

  it('retains the whole batch when the handler fails', async () => {
    const handled = deferred();
    const id = queue.send('boom');
    start(() => {
      handled.resolve();
      return Promise.reject(new Error('handler bug'));
    });
    await handled.promise;
    await transport!.close();
    expect(queue.isDeleted(id)).toBe(false);
    expect(queue.calls.delete).toBe(0);
  });

  it('backs off after a failed receive and carries on', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    queue.failReceive(throttled);
    const id = queue.send('after the throttle');
    start((batch) => Promise.resolve(batch.map(() => 'delete' as const)));
    await queue.waitFor(() => queue.isDeleted(id), 'the delete');
    expect(queue.calls.receive).toBe(2);
  });

  it('shuts down gracefully: stops receiving, finishes the batch in hand, then resolves', async () => {
    const inHandler = deferred();
    const release = deferred<SqsDisposition[]>();
    const first = queue.send('in flight');
    const t = start(() => {
      inHandler.resolve();
      return release.promise;
    });
    await inHandler.promise;
    let closed = false;
    const closing = t.close().then(() => (closed = true));
    queue.send('arrives during shutdown');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(false); // waits for the batch in hand
    release.resolve(['delete']);
    await closing;
    expect(queue.isDeleted(first)).toBe(true);
    const receivesAtClose = queue.calls.receive;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(queue.calls.receive).toBe(receivesAtClose);
    expect(queue.undeleted).toHaveLength(1);
  });

  it('gives a long poll answered after shutdown began straight back to the queue', async () => {
    const t = start((batch) => Promise.resolve(batch.map(() => 'delete' as const)));
    await queue.waitFor(() => queue.calls.receive === 1, 'the long poll');
    await t.close(); // the poll is still waiting (20 s)
    const late = queue.send('late');
    await queue.waitFor(
      () => queue.visibilityChanges.some(([id, s]) => id === late && s === 0),
      'the release',
    );
    expect(queue.isDeleted(late)).toBe(false);
  });
});
