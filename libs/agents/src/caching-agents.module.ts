import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  type ModuleMetadata,
  type OnApplicationBootstrap,
  Optional,
  type Type,
} from '@nestjs/common';
import type { AgentAccount, CachingAgentProvider } from './caching-agent';
import {
  AGENT_LEASES,
  AGENT_SCHEDULES,
  type AgentLeasesPort,
  type AgentSchedulesPort,
  CACHE_WRITER,
  type CacheWriterPort,
  PIPELINE_HEALTH,
  type PipelineHealthPort,
  REFRESH_NOTIFICATIONS,
  REFRESH_QUEUE,
  type RefreshNotificationsPort,
  type RefreshQueuePort,
} from './ports';
import { AgentRuntime, type AgentRuntimeOptions } from './runtime/agent-runtime';
import type { MetricsRegistry } from './runtime/agents.metrics';
import type { TargetedRefresher } from './targeted-refresher';

/** Injection token of `CachingAgentsOptions`. */
export const CACHING_AGENTS_OPTIONS = Symbol('CACHING_AGENTS_OPTIONS');
/** Optional: the metrics registry (bind the platform's `MetricsService`). */
export const AGENT_METRICS = Symbol('AGENT_METRICS');

/** What `CachingAgentsModule.forRoot` needs besides the ports and the registered agents. */
export type CachingAgentsOptions = Omit<
  AgentRuntimeOptions,
  'providers' | 'refreshers' | 'ports' | 'metrics'
> & {
  accounts: readonly AgentAccount[];
};

/** A caching-agent provider or a targeted refresher: an instance, or an injectable class. */
export type AgentFeature =
  CachingAgentProvider | TargetedRefresher | Type<CachingAgentProvider> | Type<TargetedRefresher>;

/** Collects what every `forFeature` registered (filled while Nest instantiates providers). */
@Injectable()
export class AgentFeatureRegistry {
  readonly providers: CachingAgentProvider[] = [];
  readonly refreshers: TargetedRefresher[] = [];

  add(features: readonly (CachingAgentProvider | TargetedRefresher)[]): void {
    for (const feature of features) {
      if (isRefresher(feature)) this.refreshers.push(feature);
      else if (isProvider(feature)) this.providers.push(feature);
      else
        throw new TypeError('a caching-agents feature must be a CachingAgentProvider or a TargetedRefresher');
    }
  }
}

/** Starts the scheduler and the refresh worker once the app is up; stops them before it goes down. */
@Injectable()
export class CachingAgentsRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private runtime: AgentRuntime | null = null;

  constructor(
    @Inject(CACHING_AGENTS_OPTIONS) private readonly options: CachingAgentsOptions,
    private readonly registry: AgentFeatureRegistry,
    @Inject(AGENT_LEASES) private readonly leases: AgentLeasesPort,
    @Inject(AGENT_SCHEDULES) private readonly schedules: AgentSchedulesPort,
    @Inject(CACHE_WRITER) private readonly cache: CacheWriterPort,
    @Inject(REFRESH_QUEUE) private readonly refreshes: RefreshQueuePort,
    @Inject(PIPELINE_HEALTH) private readonly pipelineHealth: PipelineHealthPort,
    @Optional() @Inject(REFRESH_NOTIFICATIONS) private readonly notifications?: RefreshNotificationsPort,
    @Optional() @Inject(AGENT_METRICS) private readonly metrics?: MetricsRegistry,
  ) {}

  /** The running runtime (after bootstrap). */
  get current(): AgentRuntime {
    if (!this.runtime) throw new Error('the caching agents have not started');
    return this.runtime;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.runtime = new AgentRuntime({
      logger: new Logger('CachingAgents'),
      ...this.options,
      providers: this.registry.providers,
      refreshers: this.registry.refreshers,
      ports: {
        leases: this.leases,
        schedules: this.schedules,
        cache: this.cache,
        refreshes: this.refreshes,
        pipelineHealth: this.pipelineHealth,
        notifications: this.notifications,
      },
      metrics: this.metrics,
    });
    await this.runtime.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime?.stop();
  }
}

@Module({})
class CachingAgentsFeatureModule {}

let featureCount = 0;

/**
 * The agent runtime as a Nest module. `forRoot` once (ports come from `imports`: a module that
 * provides the five port tokens); `forFeature([...])` for each set of agents, so a new agent is
 * its class plus one line:
 *
 * ```ts
 * CachingAgentsModule.forFeature([new ElasticIpCachingAgentProvider(clients)]),
 * ```
 */
@Module({})
export class CachingAgentsModule {
  static forRoot(options: {
    imports?: ModuleMetadata['imports'];
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest's factory-provider signature
    useFactory: (...args: any[]) => CachingAgentsOptions | Promise<CachingAgentsOptions>;
    inject?: (string | symbol | Type)[];
  }): DynamicModule {
    return {
      module: CachingAgentsModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        { provide: CACHING_AGENTS_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
        AgentFeatureRegistry,
        CachingAgentsRuntime,
      ],
      exports: [AgentFeatureRegistry, CachingAgentsRuntime],
    };
  }

  /** `imports`: modules whose providers the feature classes inject (e.g. the AWS clients). */
  static forFeature(
    features: readonly AgentFeature[],
    options: { imports?: ModuleMetadata['imports'] } = {},
  ): DynamicModule {
    const id = ++featureCount;
    const token = Symbol(`CACHING_AGENT_FEATURES_${id}`);
    const classes = features.filter(
      (f): f is Type<CachingAgentProvider> | Type<TargetedRefresher> => typeof f === 'function',
    );
    const instances = features.filter(
      (f): f is CachingAgentProvider | TargetedRefresher => typeof f !== 'function',
    );
    return {
      module: CachingAgentsFeatureModule,
      imports: options.imports ?? [],
      providers: [
        ...classes,
        {
          provide: token,
          useFactory: (
            registry: AgentFeatureRegistry,
            ...created: (CachingAgentProvider | TargetedRefresher)[]
          ) => {
            registry.add([...instances, ...created]);
            return id;
          },
          inject: [AgentFeatureRegistry, ...classes],
        },
      ],
    };
  }
}

function isRefresher(f: unknown): f is TargetedRefresher {
  return (
    typeof (f as TargetedRefresher).refresh === 'function' && Array.isArray((f as TargetedRefresher).types)
  );
}

function isProvider(f: unknown): f is CachingAgentProvider {
  return (
    typeof (f as CachingAgentProvider).create === 'function' &&
    typeof (f as CachingAgentProvider).kind === 'string'
  );
}
