// @event-cache/clouddriver-projection: Clouddriver's cats-sql tables and the AWS cache shapes its
// agents write, kept in step with the cache store through the store's projection port.
export {
  ClouddriverProjection,
  REBUILD_LOCK,
  type ClouddriverProjectionOptions,
  type OnDemandChange,
  type PendingOnDemand,
  type ProjectionRunner,
  type RebuildProgress,
  type ResourceChange,
  type StoreView,
} from './clouddriver-projection';
export { SqlNames } from './cats/sql-names';
export { serializeCacheData, bodyHash, canonicalJson, type CacheData } from './cats/cats-body';
export type { WriteStats } from './cats/cats-writer';
export type { Sql } from './cats/sql';
export {
  CLOUDDRIVER_AGENT,
  PROJECTED_TYPES,
  TARGET_GROUP_HEALTH_ID,
  agentType,
  instanceHealthKey,
} from './clouddriver-agents';
export { toV1, type V1Naming } from './sdk-v1/v1-attributes';
export {
  ClouddriverCache,
  ClouddriverCacheModule,
  CLOUDDRIVER_CACHE,
  clouddriverCacheFor,
} from './clouddriver-cache';
export { CatsDatabase } from './cats/cats-database';
export { ProjectionOutbox, OUTBOX_TABLE } from './relay/projection-outbox';
export { ProjectionRelay } from './relay/projection-relay';
