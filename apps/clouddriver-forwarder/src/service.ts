import { databaseUnavailableError } from '@event-cache/cache-store';
import type { ServiceDefinition } from '@event-cache/platform';
import { AppModule } from './app.module';
import { statusForErrorCode } from './error-status';

export const service: ServiceDefinition = {
  name: 'clouddriver-forwarder',
  module: (config) => AppModule.forRoot(config),
  statusFor: statusForErrorCode,
  translateError: databaseUnavailableError,
  openApi: {
    title: 'clouddriver-forwarder',
    description:
      'Discovers Clouddriver pods through Kubernetes (EndpointSlices or Endpoints) and forwards Armory Scale Agent operations, their results and cache refreshes to them.',
  },
};
