import { Module } from '@nestjs/common';
import { DeadLetterQueue } from './dead-letter-queue.service';
import { IntakeGate } from './intake-gate';
import { sqsClientProvider } from './sqs-client.factory';
import { SqsConsumer } from './sqs-consumer.provider';
import { SqsIntakeController } from './sqs-intake.controller';
import { SqsIntakeService } from './sqs-intake.service';

/**
 * The SQS consumer: transport (connected in service.ts), the intake it dispatches to, the gate
 * that pauses receiving while the inbox cannot be written, and the dead-letter queue.
 */
@Module({
  controllers: [SqsIntakeController],
  providers: [sqsClientProvider, IntakeGate, SqsIntakeService, SqsConsumer, DeadLetterQueue],
  exports: [SqsConsumer, DeadLetterQueue],
})
export class SqsModule {}
