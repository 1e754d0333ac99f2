import { type DynamicModule, Module } from '@nestjs/common';
import { CacheStoreModule, DatabaseReadiness } from '@event-cache/cache-store';
import { ClouddriverCacheModule, clouddriverCacheFor } from '@event-cache/clouddriver-projection';
import { PlatformModule, type ServiceConfig } from '@event-cache/platform';
import { AdminModule } from './admin/admin.module';
import { ApiDestinationModule } from './api-destination/api-destination.module';
import { CommonModule } from './common/common.module';
import { OnDemandModule } from './on-demand/on-demand.module';
import { ResourcesModule } from './resources/resources.module';
import { SnsModule } from './sns/sns.module';

@Module({})
export class AppModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    const cache = clouddriverCacheFor(config);
    return {
      module: AppModule,
      imports: [
        CacheStoreModule.forService(config, { projection: cache?.port }),
        ClouddriverCacheModule.forRoot(cache),
        PlatformModule.forRoot(config, { checks: [DatabaseReadiness] }),
        CommonModule,
        SnsModule,
        ApiDestinationModule,
        OnDemandModule,
        AdminModule,
        ResourcesModule,
      ],
    };
  }
}
