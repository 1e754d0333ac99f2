import { AgentLease } from './agent-lease.entity';
import { AgentSchedule } from './agent-schedule.entity';
import { CachedRelationship } from './cached-relationship.entity';
import { CachedResource } from './cached-resource.entity';
import { ClouddriverInstance, ClouddriverOwnership } from './clouddriver-instance.entity';
import { ClouddriverOperation } from './clouddriver-operation.entity';
import { EventInbox } from './event-inbox.entity';
import { PipelineHealth } from './pipeline-health.entity';
import { RefreshRequest } from './refresh-request.entity';

export {
  AgentLease,
  AgentSchedule,
  CachedRelationship,
  CachedResource,
  ClouddriverInstance,
  ClouddriverOperation,
  ClouddriverOwnership,
  EventInbox,
  PipelineHealth,
  RefreshRequest,
};
export type { InboxChannel, InboxOutcome } from './event-inbox.entity';
export type { RefreshOrigin, RefreshStatus } from './refresh-request.entity';

/** Every entity, listed explicitly (globs break once bundled). */
export const ENTITIES = [
  CachedResource,
  CachedRelationship,
  AgentLease,
  AgentSchedule,
  RefreshRequest,
  EventInbox,
  PipelineHealth,
  ClouddriverInstance,
  ClouddriverOwnership,
  ClouddriverOperation,
];
