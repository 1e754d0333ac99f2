// @event-cache/events: the EventBridge event model, parsers for every supported channel, SNS
// signature verification, Clouddriver cache keys and the decision logic. No framework, no I/O.

// Results and reason codes
export * from './result.model';
export * from './events.error';
export * from './clock.model';

// JSON
export type { JsonArray, JsonObject, JsonPrimitive, JsonValue } from './json/json.model';
export { DEFAULT_MAX_BYTES, parseJsonSafely, type SafeJsonOptions } from './json/safe-json.parser';

// Model
export * from './model/event.model';
export * from './model/sns.model';
export { parseArn, parseElbArn, type Arn, type ElbArnInfo } from './model/arn.util';

// Entry points
export {
  parseApiDestinationBody,
  parseSnsHttpBody,
  parseSnsNotificationMessage,
  parseSqsMessageBody,
  type IngestOptions,
  type SnsHttpIngestOptions,
  type SqsIngestOptions,
} from './parse/ingest.parser';
export { supportedEventTypes } from './parse/eventbridge.parser';

// SNS verification
export { SnsVerifier, type CertificateFetcher, type SnsVerifierOptions } from './sns/sns.verifier';
export {
  SNS_HOST_PATTERN,
  isTrustedSubscribeUrl,
  snsEndpointOfTopic,
  snsEndpointRegion,
  snsSigningCertificateNames,
  trustedSigningCertUrl,
} from './sns/sns-url.rules';
export { snsStringToSign } from './sns/sns-string-to-sign.util';

// Cache attributes: AWS SDK v3 objects in the shape every caching agent stores
export { camelCaseKey, toCacheAttributes } from './aws/cache-attributes';

// Cache keys (also usable on their own: ./keys has no dependencies)
export * from './keys';

// Decisions
export * from './decide/decision.model';
export * from './decide/account.directory';
export { decide } from './decide/decision.engine';
export { supportedCloudTrailCalls } from './decide/cloudtrail.refs';
export { CONFIG_RESOURCE_TYPES } from './decide/config-item.refs';
