import { type DynamicModule, Module, type ModuleMetadata, type Type } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController, READINESS_TIMEOUT_MS } from './health.controller';
import { READINESS_CHECKS, type ReadinessCheck } from './readiness';

export interface HealthModuleOptions {
  /** Modules that export the readiness checks. */
  imports?: ModuleMetadata['imports'];
  /** Providers (exported by `imports`) that /health/ready runs. */
  checks: Type<ReadinessCheck>[];
  /** How long each check may take before it counts as not ready (default 2 s). */
  timeoutMs?: number;
}

/** `/health/live` and `/health/ready` (terminus). */
@Module({})
export class HealthModule {
  static forRoot(options: HealthModuleOptions): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false }), ...(options.imports ?? [])],
      controllers: [HealthController],
      providers: [
        {
          provide: READINESS_CHECKS,
          useFactory: (...checks: ReadinessCheck[]) => checks,
          inject: options.checks,
        },
        { provide: READINESS_TIMEOUT_MS, useValue: options.timeoutMs ?? 2_000 },
      ],
    };
  }
}
