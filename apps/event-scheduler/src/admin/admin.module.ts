import { Module } from '@nestjs/common';
import { AdminAuthGuard } from '@event-cache/platform';
import { SqsModule } from '../sqs/sqs.module';
import { DeadLetterController } from './dead-letter.controller';

/** event-scheduler's admin route (`Authorization: Bearer <admin.token>`): the dead-letter redrive. */
@Module({
  imports: [SqsModule],
  controllers: [DeadLetterController],
  providers: [AdminAuthGuard],
})
export class AdminModule {}
