import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module';
import type { AppConfig } from '../config/config.schema';
import { CodedError } from '../errors/coded-error';
import { PlatformErrorCode } from '../errors/coded-error.filter';
import { presentsBearer, Secret } from './secret.util';

/**
 * Admin routes (of any service) need `Authorization: Bearer <admin.token>`; without a configured
 * token they are closed (401 `unauthorized`).
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  private readonly token: Secret;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.token = new Secret(config.admin.token);
  }

  canActivate(context: ExecutionContext): boolean {
    if (presentsBearer(context, this.token, 'event-cache-admin')) return true;
    throw new CodedError(
      PlatformErrorCode.Unauthorized,
      this.token.configured
        ? 'a valid bearer token is required'
        : 'the admin API is disabled: admin.token is not configured',
    );
  }
}
