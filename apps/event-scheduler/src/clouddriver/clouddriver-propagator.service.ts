import { type BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { type RefreshTarget, parseCacheKey } from '@event-cache/events';
import { APP_CONFIG, type AppConfig, MetricsService } from '@event-cache/platform';

/** A Clouddriver on-demand call: `POST /cache/aws/{type}` with the body Orca would send. */
export interface OnDemandCall {
  type: 'ServerGroup' | 'LoadBalancer' | 'SecurityGroup';
  body: Record<string, string>;
}

const MAX_QUEUED = 1_000;
const CONCURRENCY = 4;

/**
 * The Clouddriver on-demand call a refresh target maps to, if stock Clouddriver has one for it:
 * server groups by ASG name, load balancers by name, security groups by name. Instances and the
 * rest have no AWS on-demand type in Clouddriver, and a target known only by id cannot be named.
 */
export function onDemandCallFor(target: RefreshTarget): OnDemandCall | undefined {
  const { account, region, id } = target;
  switch (target.type) {
    case 'serverGroups':
      return target.idKind === 'autoScalingGroupName'
        ? { type: 'ServerGroup', body: { asgName: id, serverGroupName: id, account, region } }
        : undefined;
    case 'loadBalancers': {
      if (target.idKind !== 'loadBalancerName') return undefined;
      const key = target.partial ? undefined : parseCacheKey(target.key);
      const vpcId = key?.type === 'loadBalancers' ? key.vpcId : null;
      return {
        type: 'LoadBalancer',
        body: { loadBalancerName: id, account, region, ...(vpcId ? { vpcId } : {}) },
      };
    }
    case 'securityGroups': {
      const key = target.partial ? undefined : parseCacheKey(target.key);
      if (key?.type === 'securityGroups') {
        return {
          type: 'SecurityGroup',
          body: { securityGroupName: key.name, account, region, ...(key.vpcId ? { vpcId: key.vpcId } : {}) },
        };
      }
      return target.idKind === 'securityGroupName'
        ? { type: 'SecurityGroup', body: { securityGroupName: id, account, region } }
        : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Optional propagation of event-driven refreshes into stock Clouddriver through the
 * clouddriver-forwarder (`clouddriver.propagateRefreshes`, off by default). Best effort and never
 * in the way: calls run after the inbox transaction committed, a bounded queue drops (and counts)
 * what it cannot take, each call has a timeout, and failures are logged and counted.
 */
@Injectable()
export class ClouddriverPropagator implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ClouddriverPropagator.name);
  private readonly enabled: boolean;
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;
  private readonly queue: OnDemandCall[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly calls;
  private stopping = false;

  constructor(@Inject(APP_CONFIG) config: AppConfig, metrics: MetricsService) {
    this.enabled = config.clouddriver.propagateRefreshes;
    this.baseUrl = config.clouddriver.forwarderUrl.replace(/\/+$/, '');
    this.timeoutMs = config.clouddriver.timeoutMs;
    // The forwarder's shared token (forwarder.token), when it requires one.
    const token = config.forwarder.token;
    this.headers = {
      'content-type': 'application/json',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    };
    this.calls = metrics.counter({
      name: 'clouddriver_propagations_total',
      help: 'Refreshes propagated to Clouddriver through the forwarder, by on-demand type and result',
      labelNames: ['type', 'result'],
    });
  }

  /** Queues the calls for these (committed) targets; returns at once. */
  propagate(targets: readonly RefreshTarget[]): void {
    if (!this.enabled || this.stopping) return;
    const seen = new Set<string>();
    for (const target of targets) {
      const call = onDemandCallFor(target);
      if (!call) continue;
      const identity = `${call.type}|${JSON.stringify(call.body)}`;
      if (seen.has(identity)) continue;
      seen.add(identity);
      if (this.queue.length >= MAX_QUEUED) {
        this.calls.inc({ type: call.type, result: 'dropped' });
        continue;
      }
      this.queue.push(call);
    }
    while (this.running.size < CONCURRENCY && this.queue.length > 0) {
      const worker = this.drain().finally(() => this.running.delete(worker));
      this.running.add(worker);
    }
  }

  /** Lets in-flight calls finish (each is bounded by its timeout); queued ones are dropped. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const call of this.queue.splice(0)) this.calls.inc({ type: call.type, result: 'dropped' });
    await Promise.allSettled([...this.running]);
  }

  private async drain(): Promise<void> {
    for (let call = this.queue.shift(); call; call = this.stopping ? undefined : this.queue.shift()) {
      await this.send(call);
    }
  }

  private async send(call: OnDemandCall): Promise<void> {
    try {
      const res = await fetch(`${this.baseUrl}/cache/aws/${call.type}`, {
        method: 'POST',
        headers: this.headers,
        body: JSON.stringify(call.body),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error',
      });
      await res.arrayBuffer().catch(() => undefined);
      const ok = res.status >= 200 && res.status < 300;
      this.calls.inc({ type: call.type, result: ok ? 'ok' : 'error' });
      if (!ok)
        this.logger.warn({ msg: 'Clouddriver propagation refused', type: call.type, status: res.status });
    } catch (error) {
      this.calls.inc({ type: call.type, result: 'error' });
      this.logger.warn({
        msg: 'Clouddriver propagation failed',
        type: call.type,
        err: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
