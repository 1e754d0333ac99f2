import { type DynamicModule, Module } from '@nestjs/common';
import { CacheStoreModule, DatabaseReadiness } from '@event-cache/cache-store';
import { ClouddriverCacheModule, clouddriverCacheFor } from '@event-cache/clouddriver-projection';
import { PlatformModule, type ServiceConfig } from '@event-cache/platform';
import { AdminModule } from './admin/admin.module';
import { InboxModule } from './inbox/inbox.module';
import { SqsModule } from './sqs/sqs.module';

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
        SqsModule,
        InboxModule,
        AdminModule,
      ],
    };
  }
}
