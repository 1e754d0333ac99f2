import { loadConfig } from '@event-cache/platform';
import { cachingAgentsOptions, replicaId } from './agents-options';

describe('cachingAgentsOptions', () => {
  it('maps the agents and polling sections to the runtime, in milliseconds, with one replica id for both halves', () => {
    const config = loadConfig('caching-agents', {});
    const options = cachingAgentsOptions(config, 'host-1-abc');
    expect(options.scheduler).toEqual({
      owner: 'host-1-abc',
      concurrency: 8,
      pageWriteConcurrency: 2,
      leaseTtlMs: 60_000,
      pollIntervalMs: 1_000,
      intervalSyncMs: 5_000,
      maxThrottleFactor: 16,
      firstRunSpreadMs: 30_000,
      shutdownGraceMs: 20_000,
      runTimeoutMs: 900_000,
      retireAfterMs: 900_000,
    });
    expect(options.refresh).toEqual({
      worker: 'host-1-abc',
      batchSize: 1_000,
      concurrency: 2,
      claimTtlMs: 60_000,
      maxAttempts: 5,
      backoffMs: 1_000,
      pollIntervalMs: 1_000,
      shutdownGraceMs: 20_000,
    });
    expect(options.polling).toEqual(config.polling);
  });

  it('gives each process its own replica id', () => {
    expect(replicaId()).toMatch(new RegExp(`-${process.pid}-[0-9a-f]{6}$`));
    expect(replicaId()).not.toBe(replicaId());
  });
});
