import { Injectable } from '@nestjs/common';
import type { ReadinessCheck } from '@event-cache/platform';
import { qualifiedResource } from '../kubernetes/access-review';
import { ClouddriverDiscovery } from './clouddriver-discovery.service';
import { InstanceRegistry } from './instance-registry.service';

/**
 * /health/ready contribution: ready once the RBAC check passed and the informer has listed the
 * Clouddriver endpoints (the map is in sync). A broken watch keeps the service ready (the last
 * known map still routes) and says so; missing permissions or an unreachable API server at
 * start-up keep it not ready with the reason, instead of crash-looping.
 */
@Injectable()
export class KubernetesDiscoveryReadiness implements ReadinessCheck {
  readonly name = 'kubernetes';

  constructor(
    private readonly discovery: ClouddriverDiscovery,
    private readonly registry: InstanceRegistry,
  ) {}

  check(): Promise<{ ready: boolean; detail?: Record<string, unknown> }> {
    const status = this.discovery.status();
    const instances = this.registry.list();
    const detail: Record<string, unknown> = {
      phase: status.phase,
      ...(status.message ? { message: status.message } : {}),
      ...(status.namespace ? { namespace: status.namespace } : {}),
      ...(status.resource ? { resource: qualifiedResource(status.resource) } : {}),
      ...(status.missing?.length
        ? { missing: status.missing.map((m) => `${m.verb} ${qualifiedResource(m.resource)}`) }
        : {}),
      ...(status.synced
        ? { instances: instances.length, readyInstances: instances.filter((i) => i.ready).length }
        : {}),
    };
    return Promise.resolve({ ready: status.synced && status.phase !== 'stopped', detail });
  }
}
