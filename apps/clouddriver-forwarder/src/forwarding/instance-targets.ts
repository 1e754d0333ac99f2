import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, CodedError, MetricsService } from '@event-cache/platform';
import type { Counter } from 'prom-client';
import { type ClouddriverInstanceState, InstanceRegistry } from '../discovery/instance-registry.service';
import { AppErrorCode } from '../error-status';
import { type ForwardRoute, forwardsCounter } from './forward-metrics';

/**
 * Turns instance ids into forwarding targets through the in-memory map, refusing (503 with
 * Retry-After, counted as `unavailable`) an instance that is unknown, gone or not ready: ownership
 * rows can outlive pods, and nothing is ever forwarded to a pod that is gone.
 */
@Injectable()
export class InstanceTargets {
  private readonly retryAfterSeconds: number;
  private readonly forwards: Counter<'route' | 'outcome'>;

  constructor(
    private readonly registry: InstanceRegistry,
    metrics: MetricsService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.retryAfterSeconds = config.forwarder.retryAfterSeconds;
    this.forwards = forwardsCounter(metrics);
  }

  /** The ready instance `id`; `role` says why it was chosen, for the error message. */
  ready(route: ForwardRoute, id: string, role: string): ClouddriverInstanceState {
    const instance = this.registry.get(id);
    if (!instance) {
      throw this.unavailable(
        route,
        `Clouddriver instance "${id}" that ${role} is gone (no such pod is discovered)`,
      );
    }
    if (!instance.ready)
      throw this.unavailable(route, `Clouddriver instance "${id}" that ${role} is not ready`);
    return instance;
  }

  /** The instance `id` when it is known and ready. */
  readyOrUndefined(id: string): ClouddriverInstanceState | undefined {
    const instance = this.registry.get(id);
    return instance?.ready ? instance : undefined;
  }

  /** The next ready instance, round robin. */
  anyReady(route: ForwardRoute): ClouddriverInstanceState {
    const instance = this.registry.nextReady();
    if (!instance) throw this.unavailable(route, 'no Clouddriver instance is ready');
    return instance;
  }

  /** The instance discovered at this IP address, when exactly one is. */
  byAddress(address: string | undefined): ClouddriverInstanceState | undefined {
    if (!address) return undefined;
    const matches = this.registry
      .list()
      .filter((i) => new URL(i.baseUrl).hostname.replace(/^\[|\]$/g, '') === address);
    return matches.length === 1 ? matches[0] : undefined;
  }

  /** A 503 `clouddriver_unavailable` with Retry-After, counted for the route. */
  unavailable(route: ForwardRoute, message: string): CodedError {
    this.forwards.inc({ route, outcome: 'unavailable' });
    return new CodedError(
      AppErrorCode.ClouddriverUnavailable,
      `${message}; retry in ${this.retryAfterSeconds} s`,
      {
        retryAfterSeconds: this.retryAfterSeconds,
      },
    );
  }
}
