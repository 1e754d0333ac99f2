import { type DynamicModule, Module, type ModuleMetadata, type Type } from '@nestjs/common';
import { ConfigModule } from './config/config.module';
import type { AppConfig } from './config/config.schema';
import { HealthModule } from './health/health.module';
import type { ReadinessCheck } from './health/readiness';
import { MetricsModule } from './metrics/metrics.module';

/** What every service has: its configuration, /metrics, and /health with its readiness checks. */
@Module({})
export class PlatformModule {
  static forRoot(
    config: AppConfig,
    readiness: { imports?: ModuleMetadata['imports']; checks: Type<ReadinessCheck>[] },
  ): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        ConfigModule.forRoot(config),
        MetricsModule,
        HealthModule.forRoot({ ...readiness, timeoutMs: config.health.readinessTimeoutMs }),
      ],
    };
  }
}
