import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig, CodedError, Secret } from '@event-cache/platform';
import { AppErrorCode } from '../error-status';

/** The EventBridge API destination's connection sends `events.apiKey` in `events.apiKeyHeader`. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly header: string;
  private readonly key: Secret;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.header = config.events.apiKeyHeader.toLowerCase();
    this.key = new Secret(config.events.apiKey);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.key.configured) {
      throw new CodedError(
        AppErrorCode.Unauthorized,
        'POST /events is disabled: events.apiKey is not configured',
      );
    }
    const presented = context.switchToHttp().getRequest<Request>().header(this.header);
    if (!this.key.matches(presented)) {
      throw new CodedError(AppErrorCode.Unauthorized, `missing or wrong ${this.header} header`);
    }
    return true;
  }
}
