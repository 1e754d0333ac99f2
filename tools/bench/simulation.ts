import {
  type AgentAccount,
  AgentRuntime,
  type CacheRecord,
  type CacheWriterPort,
  type CachingAgentProvider,
  DEFAULT_SCHEDULER_OPTIONS,
  type InMemoryAgentStore,
  type TargetedRefresher,
  type VirtualClock,
} from '@event-cache/agents';
import type { AppConfig } from '@event-cache/platform';
import { VERSION_TAG } from './aws-double';

/**
 * The shipped scheduler and refresh worker of one replica over the in-memory store, on the
 * virtual clock, every cache write watched by `tracker`.
 */
export function simulatedRuntime(options: {
  accounts: AgentAccount[];
  polling: AppConfig['polling'];
  providers: CachingAgentProvider[];
  refreshers: TargetedRefresher[];
  store: InMemoryAgentStore;
  tracker: StalenessTracker;
  clock: VirtualClock;
}): AgentRuntime {
  const { store, tracker } = options;
  return new AgentRuntime({
    accounts: options.accounts,
    polling: options.polling,
    providers: options.providers,
    refreshers: options.refreshers,
    ports: { ...store.ports(), cache: tracker.wrap(store.cachePort) },
    scheduler: { owner: 'bench', firstRunSpreadMs: DEFAULT_SCHEDULER_OPTIONS.firstRunSpreadMs },
    refresh: { worker: 'bench' },
    clock: options.clock,
  });
}

/** When the cache first holds each change: watches every write through the cache port. */
export class StalenessTracker {
  private readonly pending = new Map<string, { version: number; at: number }[]>();
  private readonly samples: number[] = [];

  constructor(
    private readonly clock: VirtualClock,
    private readonly store: InMemoryAgentStore,
  ) {}

  changed(key: string, version: number): void {
    const list = this.pending.get(key) ?? [];
    list.push({ version, at: this.clock.now().getTime() });
    this.pending.set(key, list);
  }

  wrap(port: CacheWriterPort): CacheWriterPort {
    return {
      write: async (records, options) => {
        const result = await port.write(records, options);
        this.observe(records);
        return result;
      },
      writeAgentPage: async (page) => {
        const result = await port.writeAgentPage(page);
        this.observe(page.resources);
        return result;
      },
      completeAgentRun: (run) => port.completeAgentRun(run),
      evict: (keys, fetchedAt) => port.evict(keys, fetchedAt),
    };
  }

  finish(): { samples: number[]; unresolved: number } {
    const now = this.clock.now().getTime();
    let unresolved = 0;
    for (const list of this.pending.values()) {
      for (const change of list) {
        this.samples.push(now - change.at);
        unresolved++;
      }
    }
    this.pending.clear();
    return { samples: this.samples, unresolved };
  }

  private observe(records: readonly CacheRecord[]): void {
    const now = this.clock.now().getTime();
    for (const { key } of records) {
      const list = this.pending.get(key);
      if (!list) continue;
      const stored = this.store.records.get(key);
      const version = stored ? versionIn(stored.record.attributes) : -1;
      const left = list.filter((change) => {
        if (change.version > version) return true;
        this.samples.push(now - change.at);
        return false;
      });
      if (left.length) this.pending.set(key, left);
      else this.pending.delete(key);
    }
  }
}

/** The version tag in an instance's `tags` or a server group's `asg.tags`. */
function versionIn(attributes: Record<string, unknown>): number {
  const tags = (attributes.tags ?? (attributes.asg as { tags?: unknown } | undefined)?.tags) as
    { key?: string; value?: string }[] | undefined;
  return Number(tags?.find((t) => t.key === VERSION_TAG)?.value ?? -1);
}
