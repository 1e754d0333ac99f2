import { Module } from '@nestjs/common';
import { ClouddriverModule } from '../clouddriver/clouddriver.module';
import { decisionContextProvider } from './decision-context.provider';
import { InboxProcessor } from './inbox-processor.service';
import { RetentionService } from './retention.service';

/** The inbox processor (decisions into refresh requests, interval changes, heartbeats) and retention. */
@Module({
  imports: [ClouddriverModule],
  providers: [decisionContextProvider, InboxProcessor, RetentionService],
  exports: [InboxProcessor, RetentionService],
})
export class InboxModule {}
