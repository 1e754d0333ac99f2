import { type DynamicModule, Module } from '@nestjs/common';
import { CacheStoreModule, DatabaseReadiness } from '@event-cache/cache-store';
import { PlatformModule, type ServiceConfig } from '@event-cache/platform';

@Module({})
export class AppModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CacheStoreModule.forService(config),
        PlatformModule.forRoot(config, { checks: [DatabaseReadiness] }),
      ],
    };
  }
}
