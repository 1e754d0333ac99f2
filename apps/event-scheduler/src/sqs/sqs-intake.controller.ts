import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { SqsIntakeService } from './sqs-intake.service';
import { SQS_BATCH_PATTERN, type SqsDisposition, type SqsReceivedMessage } from './sqs.model';

/** Receives each SQS batch from the transport and answers what to do with every message. */
@Controller()
export class SqsIntakeController {
  constructor(private readonly intake: SqsIntakeService) {}

  @MessagePattern(SQS_BATCH_PATTERN)
  ingest(@Payload() messages: SqsReceivedMessage[]): Promise<SqsDisposition[]> {
    return this.intake.ingest(messages);
  }
}
