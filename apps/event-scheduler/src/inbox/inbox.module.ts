import { Module } from '@nestjs/common';
import { ClouddriverModule } from '../clouddriver/clouddriver.module';
import { decisionContextProvider } from './decision-context.provider';
import { InboxProcessor } from './inbox-processor.service';
import { StateMetrics } from './state-metrics.service';
import { RetentionService } from './retention.service';

/**
 * The inbox processor (decisions into refresh requests, interval changes, heartbeats), retention,
 * and the gauges read from the database (pipeline health, oldest refresh, agent intervals).
 */
@Module({
  imports: [ClouddriverModule],
  providers: [decisionContextProvider, InboxProcessor, RetentionService, StateMetrics],
  exports: [InboxProcessor, RetentionService],
})
export class InboxModule {}
