import type { ServiceDefinition } from '@event-cache/platform';
import { AppModule } from './app.module';
import { statusForErrorCode } from './error-status';

export const service: ServiceDefinition = {
  name: 'gate-endpoint',
  module: (config) => AppModule.forRoot(config),
  statusFor: statusForErrorCode,
  openApi: {
    title: 'gate-endpoint',
    description:
      'Ingress of the event cache: SNS and EventBridge endpoints, the Clouddriver-compatible force-refresh API, admin and read APIs.',
  },
  // SNS posts JSON as text/plain, and both event endpoints bound and parse their bodies themselves
  // (reason-coded: payload_too_large, malformed_json, forbidden_key ...): read them as raw bytes.
  rawBody: { routes: ['/events'], limit: '1mb' },
};
