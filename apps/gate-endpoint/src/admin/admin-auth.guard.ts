import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { APP_CONFIG, type AppConfig, CodedError } from '@event-cache/platform';
import { Secret } from '../common/secret.util';
import { AppErrorCode } from '../error-status';

/** Admin routes need `Authorization: Bearer <admin.token>`; without a configured token they are closed. */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  private readonly token: Secret;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.token = new Secret(config.admin.token);
  }

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const header = http.getRequest<Request>().header('authorization');
    const presented = /^Bearer (\S+)$/i.exec(header ?? '')?.[1];
    if (this.token.matches(presented)) return true;
    http.getResponse<Response>().setHeader('WWW-Authenticate', 'Bearer realm="event-cache-admin"');
    throw new CodedError(
      AppErrorCode.Unauthorized,
      this.token.configured
        ? 'a valid bearer token is required'
        : 'the admin API is disabled: admin.token is not configured',
    );
  }
}
