import { Inject, Injectable } from '@nestjs/common';
import { CacheStore } from '@event-cache/cache-store';
import { APP_CONFIG, type AppConfig, MetricsService } from '@event-cache/platform';

/**
 * Gauges read from the database at scrape time, for dashboards and alerts per account/region:
 * - `event_cache_pipeline_healthy{account,region}`: 1 while the account/region's event pipeline is
 *   healthy (a heartbeat within its period), else 0; every configured account/region has a series,
 *   one that never sent a heartbeat is 0;
 * - `event_cache_pipeline_heartbeat_age_seconds{account,region}`: since its last heartbeat (only
 *   account/regions that sent one);
 * - `event_cache_refresh_oldest_pending_age_seconds`: age of the oldest refresh request still
 *   pending or claimed (0 when there is none);
 * - `event_cache_agent_interval_seconds{account,region,kind}`: each agent's interval in force
 *   (`GET /admin/agents` says why).
 * Every replica reports the same values: aggregate them with max. A scrape while the database is
 * down keeps the last values.
 */
@Injectable()
export class StateMetrics {
  constructor(store: CacheStore, @Inject(APP_CONFIG) config: AppConfig, metrics: MetricsService) {
    const configured = config.accounts.flatMap((a) =>
      a.regions.map((r) => ({ account: a.name, region: r.name })),
    );
    const read = () => store.pipelineHealth.list(new Date()).catch(() => undefined);
    metrics.gauge({
      name: 'pipeline_healthy',
      help: 'Whether the event pipeline of an account/region is healthy (1) or not (0): a heartbeat within its period',
      labelNames: ['account', 'region'],
      async collect() {
        const rows = await read();
        if (rows === undefined) return;
        const healthy = new Set(rows.filter((r) => r.healthy).map((r) => `${r.account}|${r.region}`));
        this.reset();
        for (const { account, region } of configured) {
          this.set({ account, region }, healthy.has(`${account}|${region}`) ? 1 : 0);
        }
      },
    });
    metrics.gauge({
      name: 'pipeline_heartbeat_age_seconds',
      help: "Seconds since an account/region's last heartbeat event",
      labelNames: ['account', 'region'],
      async collect() {
        const rows = await read();
        if (rows === undefined) return;
        this.reset();
        const now = Date.now();
        for (const r of rows)
          this.set({ account: r.account, region: r.region }, (now - r.at.getTime()) / 1000);
      },
    });
    metrics.gauge({
      name: 'agent_interval_seconds',
      help: 'Interval in force of each caching agent (base x environment x throttling x override, or the reconcile interval)',
      labelNames: ['account', 'region', 'kind'],
      async collect() {
        const agents = await store.schedules.list().catch(() => undefined);
        if (agents === undefined) return;
        this.reset();
        for (const a of agents) {
          this.set({ account: a.account, region: a.region, kind: a.kind }, a.intervalMs / 1000);
        }
      },
    });
    metrics.gauge({
      name: 'refresh_oldest_pending_age_seconds',
      help: 'Age of the oldest refresh request still pending or claimed (0 when none)',
      async collect() {
        const oldest = await store.refreshes.oldestOpenCreatedAt().then(
          (at) => at ?? null,
          () => undefined,
        );
        if (oldest === undefined) return;
        this.set(oldest === null ? 0 : Math.max(0, (Date.now() - oldest.getTime()) / 1000));
      },
    });
  }
}
