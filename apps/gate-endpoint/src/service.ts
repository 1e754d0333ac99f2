import { databaseUnavailableError } from '@event-cache/cache-store';
import type { ServiceDefinition } from '@event-cache/platform';
import { AppModule } from './app.module';
import { statusForErrorCode } from './error-status';

export const service: ServiceDefinition = {
  name: 'gate-endpoint',
  module: (config) => AppModule.forRoot(config),
  statusFor: statusForErrorCode,
  translateError: databaseUnavailableError,
  openApi: {
    title: 'gate-endpoint',
    description:
      'Ingress of the event cache: SNS and EventBridge endpoints, the Clouddriver-compatible force-refresh API, admin and read APIs.',
  },
};
