import { BaseRpcContext } from '@nestjs/microservices';

/** The message pattern the SQS transport dispatches each received batch to. */
export const SQS_BATCH_PATTERN = 'sqs.batch';

/** One received SQS message, as the handler sees it. */
export interface SqsReceivedMessage {
  messageId: string;
  body: string;
  /** `ApproximateReceiveCount`: 1 on the first delivery. */
  receiveCount: number;
}

/**
 * What the transport does with a handled message: `delete` once its inbox row is committed (or it
 * can never succeed and was recorded as such), `retain` to leave it for redelivery (transient
 * failure; the queue's redrive policy moves it to the DLQ eventually).
 */
export type SqsDisposition = 'delete' | 'retain';

/** RPC context of an SQS batch: the queue it came from. */
export class SqsContext extends BaseRpcContext<[string]> {
  get queueUrl(): string {
    return this.args[0];
  }
}
