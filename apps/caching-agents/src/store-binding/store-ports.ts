import type {
  AgentLeasesPort,
  AgentSchedulesPort,
  CacheWriterPort,
  PipelineHealthPort,
  RefreshQueuePort,
} from '@event-cache/agents';
import type { CacheStore } from '@event-cache/cache-store';

/** The store's repositories as the SDK's ports (checked by the compiler here, at the seam). */
export function storePorts(store: CacheStore): {
  leases: AgentLeasesPort;
  schedules: AgentSchedulesPort;
  cache: CacheWriterPort;
  refreshes: RefreshQueuePort;
  pipelineHealth: PipelineHealthPort;
} {
  return {
    leases: store.leases,
    schedules: store.schedules,
    cache: store.resources,
    refreshes: store.refreshes,
    pipelineHealth: store.pipelineHealth,
  };
}
