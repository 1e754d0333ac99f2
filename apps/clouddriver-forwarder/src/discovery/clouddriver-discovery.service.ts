import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { V1EndpointSlice } from '@kubernetes/client-node';
import { APP_CONFIG, type AppConfig, MetricsService } from '@event-cache/platform';
import type { Counter } from 'prom-client';
import {
  type AccessCheck,
  accessChecks,
  describeMissingAccess,
  type EndpointResource,
  qualifiedResource,
} from '../kubernetes/access-review';
import { instancesFromEndpoints, instancesFromEndpointSlices } from '../kubernetes/endpoint-instances';
import { describeKubernetesError, type EndpointObject, KubernetesApi } from '../kubernetes/kubernetes-api';
import { resolveKubernetesTarget } from '../kubernetes/kubernetes-config';
import { Backoff } from './backoff';
import { InstanceRegistry } from './instance-registry.service';

/**
 * Where discovery stands:
 * - `starting`: not yet asked the API server anything;
 * - `unconfigured`: no way to reach Kubernetes (stays so until restarted with a configuration);
 * - `unreachable`: the API server did not answer the start-up checks (retried with backoff);
 * - `forbidden`: RBAC lacks list/watch (re-checked with backoff, so fixing the Role is enough);
 * - `syncing`: the informer is listing for the first time;
 * - `watching`: the map is in sync and the watch is open;
 * - `reconnecting`: the watch broke after the first sync; the map is kept while it reconnects;
 * - `stopped`: the application is shutting down.
 */
export type DiscoveryPhase =
  | 'starting'
  | 'unconfigured'
  | 'unreachable'
  | 'forbidden'
  | 'syncing'
  | 'watching'
  | 'reconnecting'
  | 'stopped';

export interface DiscoveryStatus {
  phase: DiscoveryPhase;
  /** The instance map has been filled from a complete list at least once and is being kept. */
  synced: boolean;
  /** What is wrong (or was, while reconnecting), in words an operator can act on. */
  message?: string;
  namespace?: string;
  resource?: EndpointResource;
  /** Where the Kubernetes credentials come from. */
  source?: string;
  /** Permissions missing for the resource being watched. */
  missing?: AccessCheck[];
}

type WatchRestartReason = 'error' | 'expired' | 'closed';

/**
 * Kubernetes discovery of Clouddriver pods: at start-up, checks with SelfSubjectAccessReviews that
 * list and watch are allowed (staying not ready, and re-checking with backoff, when they are not),
 * then runs an informer (list, then watch) on EndpointSlices, or on Endpoints when configured or
 * when the API server does not serve slices. A 410 Gone re-lists (inside the informer); any other
 * failure stops the informer, which is restarted after a backoff. Every change of the watched
 * objects recomputes the instance map. Nothing polls.
 */
@Injectable()
export class ClouddriverDiscovery implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ClouddriverDiscovery.name);
  private readonly settings: AppConfig['forwarder'];
  private readonly backoff: Backoff;
  private readonly restarts: Counter<'resource' | 'reason'>;
  private readonly listeners = new Set<(status: DiscoveryStatus) => void>();
  private current: DiscoveryStatus = { phase: 'starting', synced: false };
  private api?: KubernetesApi;
  private apiServer?: string;
  private watched?: {
    resource: EndpointResource;
    namespace: string;
    informer: ReturnType<KubernetesApi['informer']>['informer'];
    stop: () => Promise<void>;
  };
  private timer?: NodeJS.Timeout;
  private stopping = false;
  private connects = 0;
  private restartCounted = false;
  private startedAt = 0;
  private listed = false;
  private recomputeScheduled = false;
  private lastLogged?: string;
  private warnedNoSlices = false;

  constructor(
    private readonly registry: InstanceRegistry,
    metrics: MetricsService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.settings = config.forwarder;
    this.backoff = new Backoff(this.settings.backoffInitialMs, this.settings.backoffMaxMs);
    this.restarts = metrics.counter({
      name: 'clouddriver_watch_restarts_total',
      help: 'Restarts of the Kubernetes watch of Clouddriver endpoints: error (restarted after backoff), expired (410 Gone, re-listed), closed (ended by the server, resumed)',
      labelNames: ['resource', 'reason'],
    });
  }

  status(): DiscoveryStatus {
    return this.current;
  }

  /** Calls `listener` with every new status; returns the unsubscribe function. */
  onStatus(listener: (status: DiscoveryStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onApplicationBootstrap(): void {
    // In the background: the service listens (and answers /health/ready) while discovery starts.
    const target = resolveKubernetesTarget(this.settings);
    if ('problem' in target) {
      this.setStatus({ phase: 'unconfigured', synced: false, message: target.problem }, 'error');
      return;
    }
    this.api = new KubernetesApi(target.kubeConfig, this.settings.kubernetesTimeoutMs);
    this.apiServer = target.kubeConfig.getCurrentCluster()?.server;
    this.current = { ...this.current, namespace: target.namespace, source: target.source };
    void this.checkThenWatch(target.namespace);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    this.setStatus({ ...this.current, phase: 'stopped' });
    await this.watched?.stop();
  }

  /** Chooses the resource, checks permissions, then starts the informer; retried with backoff. */
  private async checkThenWatch(namespace: string): Promise<void> {
    const api = this.api!;
    let resource: EndpointResource | undefined;
    try {
      resource = await this.chooseResource(api);
      const results = await api.reviewAccess(accessChecks(namespace));
      const missing = results.filter((r) => !r.allowed && r.resource === resource);
      if (this.stopping) return;
      if (missing.length) {
        this.setStatus(
          {
            ...this.current,
            phase: 'forbidden',
            resource,
            missing: missing.map(({ verb, resource: r, namespace: ns }) => ({
              verb,
              resource: r,
              namespace: ns,
            })),
            message: describeMissingAccess(missing),
          },
          'error',
        );
        this.retry(() => this.checkThenWatch(namespace));
        return;
      }
      const unused = results.filter((r) => !r.allowed && r.resource !== resource);
      if (unused.length) {
        this.logger.log({
          msg: `not needed while watching ${qualifiedResource(resource)}: ${describeMissingAccess(unused)}`,
        });
      }
      this.startInformer(api, resource, namespace);
    } catch (e) {
      if (this.stopping) return;
      this.setStatus(
        {
          ...this.current,
          phase: 'unreachable',
          resource,
          missing: undefined,
          message: `cannot check permissions with the Kubernetes API at ${this.apiServer}: ${describeKubernetesError(e)}`,
        },
        'warn',
      );
      this.retry(() => this.checkThenWatch(namespace));
    }
  }

  private async chooseResource(api: KubernetesApi): Promise<EndpointResource> {
    if (this.settings.resource === 'endpoints') return 'endpoints';
    if (await api.servesEndpointSlices()) return 'endpointslices';
    if (!this.warnedNoSlices) {
      this.warnedNoSlices = true;
      this.logger.warn({
        msg: 'the API server does not serve discovery.k8s.io/v1 EndpointSlices; watching Endpoints instead',
      });
    }
    return 'endpoints';
  }

  private startInformer(api: KubernetesApi, resource: EndpointResource, namespace: string): void {
    this.backoff.reset();
    const { informer, stop } = api.informer(resource, namespace, {
      watchTimeoutSeconds: this.settings.watchTimeoutSeconds,
      onListed: () => {
        this.listed = true;
        this.backoff.reset();
        this.scheduleRecompute();
      },
      onWatching: () => this.onWatching(),
    });
    this.watched = { resource, namespace, informer, stop };
    for (const verb of ['add', 'update', 'delete'] as const)
      informer.on(verb, () => this.scheduleRecompute());
    informer.on('connect', () => this.onConnect());
    informer.on('error', (err) => this.onInformerError(err));
    this.setStatus(
      { ...this.current, phase: 'syncing', resource, missing: undefined, message: undefined },
      'log',
    );
    this.runInformer();
  }

  private runInformer(): void {
    this.startedAt = Date.now();
    this.watched!.informer.start().catch((e: unknown) => this.onInformerError(e));
  }

  private onConnect(): void {
    if (this.connects++ === 0) return;
    if (this.restartCounted) {
      this.restartCounted = false;
      return;
    }
    // Not after an error: the informer resumes by itself, re-listing when the watch expired (410).
    const reason: WatchRestartReason = this.watched!.informer.latestResourceVersion() ? 'closed' : 'expired';
    this.restarts.inc({ resource: this.watched!.resource, reason });
    if (reason === 'expired') {
      this.logger.log({
        msg: `watch of ${qualifiedResource(this.watched!.resource)} expired (410 Gone); re-listing`,
      });
    }
  }

  /** A watch is open again after a failure: the map is being kept current again. */
  private onWatching(): void {
    if (this.current.phase === 'reconnecting' && !this.stopping) {
      this.setStatus({ ...this.current, phase: 'watching', message: undefined }, 'log');
    }
  }

  /** The informer stopped for good (any error but 410): restart it after a backoff. */
  private onInformerError(err: unknown): void {
    // ListWatch.stop() reports the aborted request as an error: not a failure.
    if (this.stopping || !this.watched) return;
    if (this.timer) return; // already restarting
    // A watch that ran well for longer than the longest backoff starts over from the shortest.
    if (Date.now() - this.startedAt > this.settings.backoffMaxMs) this.backoff.reset();
    const delayMs = this.backoff.next();
    const { resource } = this.watched;
    this.restarts.inc({ resource, reason: 'error' });
    this.restartCounted = true;
    this.setStatus(
      {
        ...this.current,
        phase: this.current.synced ? 'reconnecting' : 'syncing',
        message: `watch of ${qualifiedResource(resource)} in namespace "${this.watched.namespace}" failed: ${describeKubernetesError(err)}; reconnecting in ${delayMs} ms`,
      },
      'warn',
    );
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.stopping) this.runInformer();
    }, delayMs);
  }

  /** Coalesces the callbacks of one list or watch event into one recomputation, after the informer applied them. */
  private scheduleRecompute(): void {
    if (this.recomputeScheduled) return;
    this.recomputeScheduled = true;
    setImmediate(() => {
      this.recomputeScheduled = false;
      this.recompute();
    });
  }

  private recompute(): void {
    if (!this.watched || this.stopping) return;
    const { informer, resource } = this.watched;
    const filter = { prefix: this.settings.endpointPrefix, portName: this.settings.portName };
    const objects: readonly EndpointObject[] = informer.list();
    this.registry.update(
      resource === 'endpointslices'
        ? instancesFromEndpointSlices(objects as V1EndpointSlice[], filter)
        : instancesFromEndpoints(objects, filter),
    );
    if (this.listed && !this.current.synced) {
      // The first complete list is applied: from now on the map is worth serving.
      const instances = this.registry.list();
      this.setStatus({ ...this.current, phase: 'watching', synced: true, message: undefined }, 'log', {
        instances: instances.length,
        ready: instances.filter((i) => i.ready).length,
      });
    }
  }

  private retry(work: () => Promise<void>): void {
    const delayMs = this.backoff.next();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.stopping) void work();
    }, delayMs);
  }

  /** Records a new status, tells listeners, and logs it once (a repeated message is not logged again). */
  private setStatus(
    status: DiscoveryStatus,
    level?: 'log' | 'warn' | 'error',
    extra: Record<string, unknown> = {},
  ): void {
    this.current = status;
    if (level) {
      const msg =
        status.message ??
        `Clouddriver discovery ${status.phase}: ${status.resource ? qualifiedResource(status.resource) : ''} in namespace "${status.namespace}"`;
      const key = `${status.phase}:${msg}`;
      if (key !== this.lastLogged) {
        this.lastLogged = key;
        this.logger[level]({
          msg,
          phase: status.phase,
          namespace: status.namespace,
          resource: status.resource,
          source: status.source,
          ...extra,
        });
      }
    }
    for (const listener of this.listeners) listener(status);
  }
}
