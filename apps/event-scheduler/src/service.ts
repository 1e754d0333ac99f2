import type { ServiceDefinition } from '@event-cache/platform';
import { AppModule } from './app.module';
import { statusForErrorCode } from './error-status';

export const service: ServiceDefinition = {
  name: 'event-scheduler',
  module: (config) => AppModule.forRoot(config),
  statusFor: statusForErrorCode,
  openApi: {
    title: 'event-scheduler',
    description:
      'Consumes the SQS event queue and turns inbox events into refresh requests and interval changes.',
  },
};
