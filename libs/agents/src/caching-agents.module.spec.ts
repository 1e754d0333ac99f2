import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { CachingAgentProvider } from './caching-agent';
import {
  AgentFeatureRegistry,
  CachingAgentsModule,
  CachingAgentsRuntime,
  type CachingAgentsOptions,
} from './caching-agents.module';
import { AGENT_LEASES, AGENT_SCHEDULES, CACHE_WRITER, PIPELINE_HEALTH, REFRESH_QUEUE } from './ports';
import { systemClock } from './runtime/clock';
import { silentLogger } from './runtime/runtime-options';
import type { TargetedRefresher } from './targeted-refresher';
import { InMemoryAgentStore } from './testing/in-memory-agent-store';

const store = new InMemoryAgentStore(systemClock);

@Module({
  providers: [
    { provide: AGENT_LEASES, useValue: store.leasesPort },
    { provide: AGENT_SCHEDULES, useValue: store.schedulesPort },
    { provide: CACHE_WRITER, useValue: store.cachePort },
    { provide: REFRESH_QUEUE, useValue: store.refreshPort },
    { provide: PIPELINE_HEALTH, useValue: store.healthPort },
  ],
  exports: [AGENT_LEASES, AGENT_SCHEDULES, CACHE_WRITER, PIPELINE_HEALTH, REFRESH_QUEUE],
})
class PortsModule {}

@Injectable()
class VpcNames {
  readonly prefix = 'vpc';
}

/** An injectable provider class, as a generated agent's would be. */
@Injectable()
class VpcCachingAgentProvider implements CachingAgentProvider {
  readonly kind = 'VpcCachingAgent';
  constructor(private readonly names: VpcNames) {}
  create(account: { name: string }, region: string) {
    return {
      id: `${account.name}/${region}/VpcCachingAgent`,
      provider: 'aws',
      kind: this.kind,
      account: account.name,
      region,
      authoritativeTypes: ['vpcs'],
      load: () =>
        Promise.resolve({
          readStartedAt: new Date(),
          resources: [
            {
              key: `aws:vpcs:${this.names.prefix}-1:${account.name}:${region}`,
              type: 'vpcs',
              attributes: { id: `${this.names.prefix}-1` },
            },
          ],
        }),
    };
  }
}

const refresher: TargetedRefresher = {
  types: ['vpcs'],
  refresh: () => Promise.reject(new Error('not used')),
};

const OPTIONS: CachingAgentsOptions = {
  accounts: [
    { name: 'prod', accountId: '123456789012', environment: 'prod', regions: [{ name: 'us-east-1' }] },
  ],
  polling: {
    defaultIntervalSeconds: 30,
    intervalSecondsByKind: {},
    reconcileIntervalSeconds: 600,
    environmentMultipliers: {},
  },
  scheduler: { owner: 'replica-a', firstRunSpreadMs: 0, pollIntervalMs: 20 },
  refresh: { worker: 'replica-a', pollIntervalMs: 20 },
  logger: silentLogger,
};

@Module({ providers: [VpcNames], exports: [VpcNames] })
class VpcNamesModule {}

@Module({
  imports: [
    CachingAgentsModule.forRoot({ imports: [PortsModule], useFactory: () => OPTIONS }),
    CachingAgentsModule.forFeature([VpcCachingAgentProvider, refresher], { imports: [VpcNamesModule] }),
  ],
})
class AppModule {}

describe('CachingAgentsModule', () => {
  it('registers forFeature classes and instances, runs the agents after bootstrap and releases on close', async () => {
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    await app.init();
    const registry = app.get(AgentFeatureRegistry);
    expect(registry.providers.map((p) => p.kind)).toEqual(['VpcCachingAgent']);
    expect(registry.refreshers).toEqual([refresher]);
    expect(app.get(CachingAgentsRuntime).current.catalog.agentIds()).toEqual([
      'prod/us-east-1/VpcCachingAgent',
    ]);

    for (let i = 0; i < 100 && store.records.size === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect([...store.records.keys()]).toEqual(['aws:vpcs:vpc-1:prod:us-east-1']);

    await app.close();
    expect(store.leases.size).toBe(0);
    expect(store.schedules.get('prod/us-east-1/VpcCachingAgent')?.lastRun).not.toBeNull();
  });
});
