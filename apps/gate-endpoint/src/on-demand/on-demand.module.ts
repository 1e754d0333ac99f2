import { Module } from '@nestjs/common';
import { IntrospectionController } from './introspection.controller';
import { IntrospectionService } from './introspection.service';
import { OnDemandController } from './on-demand.controller';
import { OnDemandRequestService } from './on-demand-request.service';
import { OnDemandStatusService } from './on-demand-status.service';
import { RefreshesController } from './refreshes.controller';
import { RefreshStatusService } from './refresh-status.service';

@Module({
  controllers: [OnDemandController, RefreshesController, IntrospectionController],
  providers: [OnDemandRequestService, OnDemandStatusService, RefreshStatusService, IntrospectionService],
})
export class OnDemandModule {}
