import type { MetricsService } from '@event-cache/platform';
import type { Counter } from 'prom-client';

export type ForwardRoute = 'operations' | 'operationresults' | 'cache';

/**
 * `event_cache_clouddriver_forwards_total{route, outcome}`: answered (the instance answered with a
 * status below 500), upstream_error (5xx after retries), timeout, unreachable, unavailable (no
 * ready target: answered 503 without forwarding).
 */
export function forwardsCounter(metrics: MetricsService): Counter<'route' | 'outcome'> {
  return metrics.counter({
    name: 'clouddriver_forwards_total',
    help: 'Requests to forward to Clouddriver instances, by route and outcome (answered, upstream_error, timeout, unreachable, unavailable)',
    labelNames: ['route', 'outcome'],
  });
}
