import { type DynamicModule, Module, type OnApplicationShutdown } from '@nestjs/common';
import { CachingAgentsModule } from '@event-cache/agents';
import { CacheStoreModule, DatabaseReadiness } from '@event-cache/cache-store';
import { ClouddriverCacheModule, clouddriverCacheFor } from '@event-cache/clouddriver-projection';
import { MetricsService, PlatformModule, type ServiceConfig } from '@event-cache/platform';
import { type AgentFeatures, agentFeatures } from './agents/agent-features';
import { cachingAgentsOptions } from './agents/agents-options';
import { ClouddriverOnDemandWatcher } from './clouddriver/clouddriver-on-demand.watcher';
import { ClouddriverProjectionRelay } from './clouddriver/clouddriver-projection.relay';
import { StoreBindingModule } from './store-binding/store-binding.module';

/** Closes the agents' AWS clients once the scheduler and the refresh worker have stopped. */
class AgentFeaturesCloser implements OnApplicationShutdown {
  constructor(private readonly features: AgentFeatures) {}
  onApplicationShutdown(): void {
    this.features.close();
  }
}

@Module({})
export class AppModule {
  /** `features`: the agents and refreshers to run (default: the built-in AWS ones and the app's own). */
  static forRoot(config: ServiceConfig, features: AgentFeatures = agentFeatures(config)): DynamicModule {
    const cache = clouddriverCacheFor(config);
    return {
      module: AppModule,
      imports: [
        CacheStoreModule.forService(config, { projection: cache?.port }),
        ClouddriverCacheModule.forRoot(cache),
        PlatformModule.forRoot(config, { checks: [DatabaseReadiness] }),
        CachingAgentsModule.forRoot({
          imports: [StoreBindingModule],
          useFactory: () => cachingAgentsOptions(config),
        }),
        CachingAgentsModule.forFeature([...features.providers, ...features.refreshers]),
      ],
      providers: [
        { provide: AgentFeaturesCloser, useFactory: () => new AgentFeaturesCloser(features) },
        ClouddriverOnDemandWatcher,
        ClouddriverProjectionRelay,
        {
          // The agents' AWS clients exist before Nest does: their request counter is bound here.
          provide: 'AGENT_FEATURES_METRICS',
          useFactory: (metrics: MetricsService) => features.bindMetrics?.(metrics) ?? null,
          inject: [MetricsService],
        },
      ],
    };
  }
}
