import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, CodedError, presentsBearer, Secret } from '@event-cache/platform';
import { AppErrorCode } from '../error-status';

/** Admin routes need `Authorization: Bearer <admin.token>`; without a configured token they are closed. */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  private readonly token: Secret;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.token = new Secret(config.admin.token);
  }

  canActivate(context: ExecutionContext): boolean {
    if (presentsBearer(context, this.token, 'event-cache-admin')) return true;
    throw new CodedError(
      AppErrorCode.Unauthorized,
      this.token.configured
        ? 'a valid bearer token is required'
        : 'the admin API is disabled: admin.token is not configured',
    );
  }
}
