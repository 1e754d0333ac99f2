import { Injectable } from '@nestjs/common';
import { CacheStore } from '@event-cache/cache-store';

/** One caching agent in Clouddriver's `/cache/introspection` shape. */
export interface AgentIntrospection {
  id: string;
  provider: string;
  totalAdditions: number;
  totalEvictions: number;
  lastExecutionDurationMs: number | null;
  lastExecutionStartMs: number | null;
  lastExecutionStartDate: string | null;
  lastError: string | null;
}

@Injectable()
export class IntrospectionService {
  constructor(private readonly store: CacheStore) {}

  /** One entry per agent, most recently started first. */
  async agents(): Promise<AgentIntrospection[]> {
    const agents = await this.store.schedules.introspection();
    return agents.map((a) => ({
      id: a.agentId,
      provider: a.provider,
      totalAdditions: a.totalAdditions,
      totalEvictions: a.totalEvictions,
      lastExecutionDurationMs: a.lastRun?.durationMs ?? null,
      lastExecutionStartMs: a.lastRun?.startedAt.getTime() ?? null,
      lastExecutionStartDate: a.lastRun?.startedAt.toISOString() ?? null,
      lastError: a.lastRun?.error ?? null,
    }));
  }
}
