import { type DynamicModule, Module } from '@nestjs/common';
import { CacheStoreModule, DatabaseReadiness } from '@event-cache/cache-store';
import { PlatformModule, type ServiceConfig } from '@event-cache/platform';
import { DiscoveryModule } from './discovery/discovery.module';
import { KubernetesDiscoveryReadiness } from './discovery/discovery.readiness';
import { ForwardingModule } from './forwarding/forwarding.module';

@Module({})
export class AppModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CacheStoreModule.forService(config),
        PlatformModule.forRoot(config, {
          imports: [DiscoveryModule],
          checks: [DatabaseReadiness, KubernetesDiscoveryReadiness],
        }),
        ForwardingModule,
      ],
    };
  }
}
