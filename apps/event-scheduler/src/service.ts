import { databaseUnavailableError } from '@event-cache/cache-store';
import type { ServiceDefinition } from '@event-cache/platform';
import { AppModule } from './app.module';
import { statusForErrorCode } from './error-status';
import { SqsConsumer } from './sqs/sqs-consumer.provider';

export const service: ServiceDefinition = {
  name: 'event-scheduler',
  module: (config) => AppModule.forRoot(config),
  statusFor: statusForErrorCode,
  translateError: databaseUnavailableError,
  openApi: {
    title: 'event-scheduler',
    description:
      'Consumes the SQS event queue and turns inbox events into refresh requests and interval changes.',
  },
  // The SQS consumer is a microservice transport next to the HTTP server (health, metrics).
  configure: async (app) => {
    const { transport } = app.get(SqsConsumer);
    if (!transport) return;
    app.connectMicroservice({ strategy: transport });
    await app.startAllMicroservices();
  },
};
