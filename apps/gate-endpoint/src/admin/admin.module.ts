import { Module } from '@nestjs/common';
import { AdminAgentsController } from './admin-agents.controller';
import { AdminAgentsService } from './admin-agents.service';
import { AdminAuthGuard } from './admin-auth.guard';
import { AdminEventsController } from './admin-events.controller';
import { AdminEventsService } from './admin-events.service';
import { AdminIntervalsController } from './admin-intervals.controller';
import { AdminIntervalsService } from './admin-intervals.service';

@Module({
  controllers: [AdminAgentsController, AdminIntervalsController, AdminEventsController],
  providers: [AdminAuthGuard, AdminAgentsService, AdminIntervalsService, AdminEventsService],
})
export class AdminModule {}
