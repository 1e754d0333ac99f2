import { Module } from '@nestjs/common';
import { DiscoveryModule } from '../discovery/discovery.module';
import { AgentOperationsController } from './agent-operations.controller';
import { AgentRegistrationService } from './agent-registration.service';
import { AgentsController } from './agents.controller';
import { CacheRefreshController } from './cache-refresh.controller';
import { CacheRefreshService } from './cache-refresh.service';
import { ClouddriverClient } from './clouddriver.client';
import { ClouddriversController } from './clouddrivers.controller';
import { InstanceTargets } from './instance-targets';
import { OperationForwardingService } from './operation-forwarding.service';

/** The REST routes: instance list, agent registrations, operation and cache-refresh forwarding. */
@Module({
  imports: [DiscoveryModule],
  controllers: [ClouddriversController, AgentsController, AgentOperationsController, CacheRefreshController],
  providers: [
    ClouddriverClient,
    InstanceTargets,
    OperationForwardingService,
    AgentRegistrationService,
    CacheRefreshService,
  ],
})
export class ForwardingModule {}
