import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { READINESS_CHECKS, type ReadinessCheck, ReadinessRunner } from './readiness';

/** Injection token of the readiness timeout (ms) of each check. */
export const READINESS_TIMEOUT_MS = Symbol('READINESS_TIMEOUT_MS');

@ApiTags('health')
@Controller('health')
export class HealthController {
  private readonly runner: ReadinessRunner;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
    @Inject(READINESS_TIMEOUT_MS) timeoutMs: number,
  ) {
    this.runner = new ReadinessRunner(timeoutMs);
  }

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'The process is up' })
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary: 'Every dependency is ready (database reachable, migrations applied, ...)',
    description:
      'Each check answers within health.readinessTimeoutMs or counts as down (timedOut: true); 503 names what is not ready.',
  })
  ready() {
    return this.health.check(
      this.checks.map((c) => async () => {
        const session = this.indicators.check(c.name);
        const result = await this.runner.run(c);
        return result.ready ? session.up(result.detail) : session.down(result.detail);
      }),
    );
  }
}
