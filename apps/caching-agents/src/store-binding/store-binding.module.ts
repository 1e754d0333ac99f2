import { Module } from '@nestjs/common';
import {
  AGENT_LEASES,
  AGENT_METRICS,
  AGENT_SCHEDULES,
  CACHE_WRITER,
  PIPELINE_HEALTH,
  REFRESH_NOTIFICATIONS,
  REFRESH_QUEUE,
} from '@event-cache/agents';
import { CacheStore } from '@event-cache/cache-store';
import { MetricsService } from '@event-cache/platform';
import { StoreRefreshNotifications } from './refresh-notifications';
import { storePorts } from './store-ports';

const port = (token: symbol, pick: (ports: ReturnType<typeof storePorts>) => unknown) => ({
  provide: token,
  useFactory: (store: CacheStore) => pick(storePorts(store)),
  inject: [CacheStore],
});

/** Binds the agent SDK's ports to the cache store (and its metrics to the platform's registry). */
@Module({
  providers: [
    port(AGENT_LEASES, (p) => p.leases),
    port(AGENT_SCHEDULES, (p) => p.schedules),
    port(CACHE_WRITER, (p) => p.cache),
    port(REFRESH_QUEUE, (p) => p.refreshes),
    port(PIPELINE_HEALTH, (p) => p.pipelineHealth),
    {
      provide: REFRESH_NOTIFICATIONS,
      useFactory: (store: CacheStore) => new StoreRefreshNotifications(store),
      inject: [CacheStore],
    },
    { provide: AGENT_METRICS, useExisting: MetricsService },
  ],
  exports: [
    AGENT_LEASES,
    AGENT_SCHEDULES,
    CACHE_WRITER,
    REFRESH_QUEUE,
    PIPELINE_HEALTH,
    REFRESH_NOTIFICATIONS,
    AGENT_METRICS,
  ],
})
export class StoreBindingModule {}
