import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { CachingAgentsOptions } from '@event-cache/agents';
import type { AppConfig } from '@event-cache/platform';

/** This process's lease owner and refresh worker id: host, pid and a random suffix. */
export function replicaId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** The runtime options of the scheduler and the refresh worker from the `agents` and `polling` sections. */
export function cachingAgentsOptions(
  config: Pick<AppConfig, 'accounts' | 'polling' | 'agents'>,
  replica: string = replicaId(),
): CachingAgentsOptions {
  const { agents } = config;
  return {
    accounts: config.accounts,
    polling: config.polling,
    scheduler: {
      owner: replica,
      concurrency: agents.concurrency,
      pageWriteConcurrency: agents.pageWriteConcurrency,
      leaseTtlMs: agents.leaseTtlSeconds * 1_000,
      pollIntervalMs: agents.pollIntervalMs,
      intervalSyncMs: agents.intervalSyncSeconds * 1_000,
      maxThrottleFactor: agents.maxThrottleFactor,
      firstRunSpreadMs: agents.firstRunSpreadSeconds * 1_000,
      shutdownGraceMs: agents.shutdownGraceSeconds * 1_000,
      runTimeoutMs: agents.runTimeoutSeconds * 1_000,
      retireAfterMs: agents.retireAfterSeconds * 1_000,
    },
    refresh: {
      worker: replica,
      batchSize: agents.refresh.batchSize,
      concurrency: agents.refresh.concurrency,
      claimTtlMs: agents.refresh.claimTtlSeconds * 1_000,
      maxAttempts: agents.refresh.maxAttempts,
      backoffMs: agents.refresh.backoffMs,
      pollIntervalMs: agents.refresh.pollIntervalMs,
      shutdownGraceMs: agents.shutdownGraceSeconds * 1_000,
    },
  };
}
