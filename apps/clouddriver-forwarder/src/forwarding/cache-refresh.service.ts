import { Injectable } from '@nestjs/common';
import { ClouddriverRegistryRepository } from '@event-cache/cache-store';
import { parseInput } from '@event-cache/platform';
import type { ClouddriverInstanceState } from '../discovery/instance-registry.service';
import type { Caller } from './caller';
import { ClouddriverClient, type UpstreamResponse } from './clouddriver.client';
import { cacheRefreshBodySchema, cacheRefreshParamsSchema } from './dto/cache-refresh.dto';
import { InstanceTargets } from './instance-targets';

/**
 * Forwards a Clouddriver on-demand cache refresh (event-scheduler's optional propagation) to a
 * ready instance: the one owning the account when it is known and ready, otherwise the next ready
 * instance round robin (stock Clouddriver refreshes any account on any instance).
 */
@Injectable()
export class CacheRefreshService {
  constructor(
    private readonly registry: ClouddriverRegistryRepository,
    private readonly targets: InstanceTargets,
    private readonly client: ClouddriverClient,
  ) {}

  async forward(params: unknown, body: unknown, caller: Caller): Promise<UpstreamResponse> {
    const { provider, type } = parseInput(cacheRefreshParamsSchema, params, 'path');
    const refresh = parseInput(cacheRefreshBodySchema, body);
    const account = refresh.credentials ?? refresh.account;
    const owner = account ? await this.registry.ownerOfAccount(account) : null;
    const target = (): ClouddriverInstanceState => {
      const preferred = owner ? this.targets.readyOrUndefined(owner.clouddriverId) : undefined;
      return preferred ?? this.targets.anyReady('cache');
    };
    return this.client.forward(
      {
        route: 'cache',
        path: `/cache/${encodeURIComponent(provider)}/${encodeURIComponent(type)}`,
        body: refresh,
        headers: caller.headers,
      },
      target,
    );
  }
}
