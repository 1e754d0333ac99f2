import { Module } from '@nestjs/common';
import { SqsConsumer } from './sqs-consumer.provider';
import { SqsIntakeController } from './sqs-intake.controller';
import { SqsIntakeService } from './sqs-intake.service';

/** The SQS consumer: transport (connected in service.ts) and the intake it dispatches to. */
@Module({
  controllers: [SqsIntakeController],
  providers: [SqsIntakeService, SqsConsumer],
  exports: [SqsConsumer],
})
export class SqsModule {}
