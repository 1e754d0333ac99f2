import type { AgentAccount, CachingAgentProvider } from '../caching-agent';
import type {
  AgentLeasesPort,
  AgentSchedulesPort,
  CacheWriterPort,
  PipelineHealthPort,
  RefreshNotificationsPort,
  RefreshQueuePort,
} from '../ports';
import type { TargetedRefresher } from '../targeted-refresher';
import { AgentCatalog } from './agent-catalog';
import { AgentScheduler } from './agent-scheduler';
import { type MetricsRegistry, noopMetrics, RefreshMetrics, SchedulerMetrics } from './agents.metrics';
import { type Clock, systemClock } from './clock';
import { IntervalPolicy } from './interval.policy';
import { RefreshWorker } from './refresh-worker';
import {
  type AgentLogger,
  DEFAULT_REFRESH_WORKER_OPTIONS,
  DEFAULT_SCHEDULER_OPTIONS,
  type PollingPolicy,
  type RefreshWorkerOptions,
  type SchedulerOptions,
  silentLogger,
} from './runtime-options';
import { ScheduleTuner } from './schedule-tuner';

export interface AgentPorts {
  leases: AgentLeasesPort;
  schedules: AgentSchedulesPort;
  cache: CacheWriterPort;
  refreshes: RefreshQueuePort;
  pipelineHealth: PipelineHealthPort;
  notifications?: RefreshNotificationsPort;
}

export interface AgentRuntimeOptions {
  accounts: readonly AgentAccount[];
  polling: PollingPolicy;
  providers: readonly CachingAgentProvider[];
  refreshers?: readonly TargetedRefresher[];
  ports: AgentPorts;
  scheduler: Partial<SchedulerOptions> & Pick<SchedulerOptions, 'owner'>;
  refresh: Partial<RefreshWorkerOptions> & Pick<RefreshWorkerOptions, 'worker'>;
  /** Which halves run in this process (both by default). */
  runScheduler?: boolean;
  runRefreshWorker?: boolean;
  clock?: Clock;
  metrics?: MetricsRegistry;
  logger?: AgentLogger;
}

/** The scheduler and the refresh worker of one replica, wired from ports (with or without Nest). */
export class AgentRuntime {
  readonly catalog: AgentCatalog;
  readonly policy: IntervalPolicy;
  readonly tuner: ScheduleTuner;
  readonly scheduler: AgentScheduler;
  readonly refreshWorker: RefreshWorker;
  private started = false;

  constructor(private readonly options: AgentRuntimeOptions) {
    const clock = options.clock ?? systemClock;
    const logger = options.logger ?? silentLogger;
    const registry = options.metrics ?? noopMetrics;
    const schedulerOptions = { ...DEFAULT_SCHEDULER_OPTIONS, ...options.scheduler };
    const { ports } = options;
    const metrics = new SchedulerMetrics(registry);
    this.catalog = new AgentCatalog(options.accounts, options.providers, options.refreshers ?? []);
    this.policy = new IntervalPolicy(options.polling);
    this.tuner = new ScheduleTuner({
      catalog: this.catalog,
      schedules: ports.schedules,
      health: ports.pipelineHealth,
      policy: this.policy,
      clock,
      metrics,
      logger,
      maxThrottleFactor: schedulerOptions.maxThrottleFactor,
    });
    this.scheduler = new AgentScheduler({
      catalog: this.catalog,
      leases: ports.leases,
      schedules: ports.schedules,
      cache: ports.cache,
      tuner: this.tuner,
      policy: this.policy,
      clock,
      metrics,
      logger,
      options: schedulerOptions,
    });
    this.refreshWorker = new RefreshWorker({
      catalog: this.catalog,
      queue: ports.refreshes,
      cache: ports.cache,
      notifications: ports.notifications,
      clock,
      metrics: new RefreshMetrics(registry),
      logger,
      options: { ...DEFAULT_REFRESH_WORKER_OPTIONS, ...options.refresh },
    });
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (this.options.runScheduler !== false) await this.scheduler.start();
    if (this.options.runRefreshWorker !== false) await this.refreshWorker.start();
  }

  /** Graceful: in-flight runs and batches finish (or are aborted after the grace), leases released. */
  async stop(): Promise<void> {
    await Promise.all([this.scheduler.stop(), this.refreshWorker.stop()]);
  }
}
