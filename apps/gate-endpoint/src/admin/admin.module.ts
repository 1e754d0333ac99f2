import { Module } from '@nestjs/common';
import { AdminAuthGuard } from '@event-cache/platform';
import { AdminAgentsController } from './admin-agents.controller';
import { AdminAgentsService } from './admin-agents.service';
import { AdminEventsController } from './admin-events.controller';
import { AdminEventsService } from './admin-events.service';
import { AdminIntervalsController } from './admin-intervals.controller';
import { AdminIntervalsService } from './admin-intervals.service';
import { ProjectionRebuildController } from '../clouddriver/projection-rebuild.controller';
import { ProjectionRebuildService } from '../clouddriver/projection-rebuild.service';

@Module({
  controllers: [
    AdminAgentsController,
    AdminIntervalsController,
    AdminEventsController,
    ProjectionRebuildController,
  ],
  providers: [
    AdminAuthGuard,
    AdminAgentsService,
    AdminIntervalsService,
    AdminEventsService,
    ProjectionRebuildService,
  ],
})
export class AdminModule {}
