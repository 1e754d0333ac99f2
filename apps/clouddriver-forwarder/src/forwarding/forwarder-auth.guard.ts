import {
  applyDecorators,
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiUnauthorizedResponse } from '@nestjs/swagger';
import {
  APP_CONFIG,
  type AppConfig,
  CodedError,
  PlatformErrorCode,
  presentsBearer,
  Secret,
} from '@event-cache/platform';
import { ErrorDto } from './dto/clouddriver-instance.dto';

/**
 * `forwarder.token` (FORWARDER_TOKEN): when set, a route needs `Authorization: Bearer <token>`
 * (compared in constant time), else 401 `unauthorized`. Unset, every caller is let through, as
 * with Armory's Scale Agent, whose Clouddriver plugin sends no credentials.
 */
@Injectable()
export class ForwarderAuthGuard implements CanActivate {
  private readonly token: Secret;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.token = new Secret(config.forwarder.token);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.token.configured || presentsBearer(context, this.token, 'clouddriver-forwarder')) return true;
    throw new CodedError(
      PlatformErrorCode.Unauthorized,
      'a valid bearer token (forwarder.token) is required',
    );
  }
}

/** The guard on a controller, with its OpenAPI security requirement and 401 answer. */
export function ForwarderAuth(): ClassDecorator {
  return applyDecorators(
    UseGuards(ForwarderAuthGuard),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({
      type: ErrorDto,
      description: 'unauthorized: forwarder.token is set and the bearer token is missing or wrong',
    }),
  );
}
