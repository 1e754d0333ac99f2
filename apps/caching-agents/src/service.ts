import { databaseUnavailableError } from '@event-cache/cache-store';
import type { ServiceDefinition } from '@event-cache/platform';
import { AppModule } from './app.module';
import { statusForErrorCode } from './error-status';

export const service: ServiceDefinition = {
  name: 'caching-agents',
  module: (config) => AppModule.forRoot(config),
  statusFor: statusForErrorCode,
  translateError: databaseUnavailableError,
  openApi: {
    title: 'caching-agents',
    description: 'Runs the AWS caching agents under SQL leases and the refresh worker.',
  },
};
