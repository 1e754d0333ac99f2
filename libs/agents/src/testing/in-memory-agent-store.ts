import type { CacheRecord } from '../cache-record';
import type {
  AgentLeasesPort,
  AgentScheduleState,
  AgentSchedulesPort,
  CacheWriterPort,
  ClaimedRefresh,
  LeaseGrant,
  PipelineHealthPort,
  RefreshNotificationsPort,
  RefreshQueuePort,
} from '../ports';
import type { Clock } from '../runtime/clock';

interface Schedule extends AgentScheduleState {
  baseIntervalMs: number;
  /** When a replica last registered it (epoch ms). */
  seenAt: number;
  lastRunStats: { durationMs: number; additions: number; evictions: number; error: string | null } | null;
}

interface Lease {
  owner: string;
  token: string;
  expiresAt: number;
}

export interface StoredRecord {
  record: CacheRecord;
  agent: string | null;
  fetchedAt: Date;
  writtenAt: Date;
  /** The agent run whose page last returned it. */
  seenByRun: string | null;
}

export interface StoredRefresh extends ClaimedRefresh {
  status: 'pending' | 'claimed' | 'succeeded' | 'failed' | 'merged';
  attempts: number;
  notBefore: number;
  claimedBy: string | null;
  claimExpiresAt: number;
  processedAt: Date | null;
  error: string | null;
}

/**
 * Every port of the agent SDK in memory, on an injected clock, following the PostgreSQL store's
 * rules (leases owned and fenced, never stale over fresh, eviction by agent after complete runs,
 * refresh requests coalesced while pending and claimed per account/region/type). For unit tests
 * and simulations (`npm run bench:agents`); production uses `libs/cache-store`.
 */
export class InMemoryAgentStore {
  readonly schedules = new Map<string, Schedule>();
  readonly leases = new Map<string, Lease>();
  readonly records = new Map<string, StoredRecord>();
  readonly refreshes: StoredRefresh[] = [];
  readonly heartbeats = new Map<string, Date>();
  private nextToken = 1;
  private nextRefreshId = 1;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly clock: Clock) {}

  private now(): number {
    return this.clock.now().getTime();
  }

  readonly leasesPort: AgentLeasesPort = {
    acquireDue: ({ owner, ttlMs, limit, agentIds }) => {
      const now = this.now();
      const allowed = agentIds ? new Set(agentIds) : null;
      const due = [...this.schedules.values()]
        .filter((s) => s.nextRunAt.getTime() <= now && !s.paused && (!allowed || allowed.has(s.agentId)))
        .filter((s) => (this.leases.get(s.agentId)?.expiresAt ?? 0) <= now)
        .sort((a, b) => a.nextRunAt.getTime() - b.nextRunAt.getTime())
        .slice(0, limit);
      return Promise.resolve(
        due.map((s): LeaseGrant => {
          const lease = { owner, token: String(this.nextToken++), expiresAt: now + ttlMs };
          this.leases.set(s.agentId, lease);
          return {
            agentId: s.agentId,
            token: lease.token,
            expiresAt: new Date(lease.expiresAt),
            dueAt: s.nextRunAt,
          };
        }),
      );
    },
    extend: (owner, leases, ttlMs) => {
      const now = this.now();
      const ok: string[] = [];
      const lost: string[] = [];
      for (const { agentId, token } of leases) {
        const lease = this.leases.get(agentId);
        if (lease && lease.owner === owner && lease.token === token && lease.expiresAt > now) {
          lease.expiresAt = now + ttlMs;
          ok.push(agentId);
        } else lost.push(agentId);
      }
      return Promise.resolve({ ok, lost });
    },
    release: (owner, releases) => {
      const ok: string[] = [];
      const lost: string[] = [];
      for (const r of releases) {
        const lease = this.leases.get(r.agentId);
        if (!lease || lease.owner !== owner || lease.token !== r.token) {
          lost.push(r.agentId);
          continue;
        }
        this.leases.delete(r.agentId);
        ok.push(r.agentId);
        const schedule = this.schedules.get(r.agentId);
        if (!schedule) continue;
        schedule.nextRunAt = r.nextRunAt;
        if (r.run) {
          schedule.lastRun = { startedAt: r.run.startedAt };
          schedule.lastRunStats = { ...r.run };
        }
      }
      return Promise.resolve({ ok, lost });
    },
    releaseAll: (owner) => {
      const released = [...this.leases].filter(([, l]) => l.owner === owner).map(([id]) => id);
      for (const id of released) this.leases.delete(id);
      return Promise.resolve(released);
    },
  };

  readonly schedulesPort: AgentSchedulesPort = {
    register: (agents) => {
      const now = this.now();
      for (const a of agents) {
        const known = this.schedules.get(a.agentId);
        if (known) {
          Object.assign(known, {
            kind: a.kind,
            account: a.account,
            region: a.region,
            baseIntervalMs: a.baseIntervalMs,
            seenAt: now,
          });
          continue;
        }
        this.schedules.set(a.agentId, {
          seenAt: now,
          agentId: a.agentId,
          kind: a.kind,
          account: a.account,
          region: a.region,
          baseIntervalMs: a.baseIntervalMs,
          intervalMs: a.baseIntervalMs,
          intervalReason: 'base',
          nextRunAt: a.firstRunAt,
          paused: false,
          override: null,
          dynamicFactor: 1,
          consecutiveThrottles: 0,
          lastRun: null,
          lastRunStats: null,
        });
      }
      return Promise.resolve();
    },
    retireUnseen: ({ unseenForMs }) => {
      const now = this.now();
      const retired = [...this.schedules.values()]
        .filter((s) => s.seenAt < now - unseenForMs && (this.leases.get(s.agentId)?.expiresAt ?? 0) <= now)
        .map((s) => s.agentId)
        .sort();
      for (const id of retired) {
        this.schedules.delete(id);
        this.leases.delete(id);
      }
      // Their records (without the store's rule for regionless rows still related to others).
      const gone = new Set(retired);
      let evicted = 0;
      for (const [key, stored] of this.records) {
        if (stored.agent !== null && gone.has(stored.agent)) {
          this.records.delete(key);
          evicted++;
        }
      }
      return Promise.resolve({ agentIds: retired, evicted });
    },
    updateIntervals: (updates) => {
      for (const u of updates) {
        const s = this.schedules.get(u.agentId);
        if (!s) continue;
        Object.assign(s, {
          intervalMs: Math.round(u.intervalMs),
          intervalReason: u.reason,
          dynamicFactor: u.dynamicFactor,
          consecutiveThrottles: u.consecutiveThrottles,
        });
      }
      return Promise.resolve();
    },
    list: (match = {}) =>
      Promise.resolve(
        [...this.schedules.values()]
          .filter(
            (s) =>
              (match.account === undefined || s.account === match.account) &&
              (match.region === undefined || s.region === match.region),
          )
          .sort((a, b) => (a.agentId < b.agentId ? -1 : 1))
          .map((s) => ({ ...s, override: s.override ? { ...s.override } : null })),
      ),
    bringForward: (runs) => {
      const moved: string[] = [];
      for (const { agentId, runBy } of runs) {
        const s = this.schedules.get(agentId);
        if (s && !s.paused && runBy.getTime() < s.nextRunAt.getTime()) {
          s.nextRunAt = runBy;
          if (!moved.includes(agentId)) moved.push(agentId);
        }
      }
      return Promise.resolve(moved);
    },
  };

  readonly cachePort: CacheWriterPort = {
    write: (records, options) => Promise.resolve(this.write(records, options)),
    writeAgentPage: (page) =>
      Promise.resolve(
        this.write(page.resources, { fetchedAt: page.fetchedAt, agent: page.agent, run: page.run }),
      ),
    completeAgentRun: (run) => {
      const evicted: string[] = [];
      for (const [key, stored] of this.records) {
        if (
          stored.agent === run.agent &&
          run.authoritativeTypes.includes(stored.record.type) &&
          stored.fetchedAt.getTime() <= run.fetchedAt.getTime() &&
          stored.seenByRun !== run.run
        ) {
          this.records.delete(key);
          evicted.push(key);
        }
      }
      return Promise.resolve({ evicted });
    },
    evict: (keys, fetchedAt) => {
      const evicted = keys.filter((k) => {
        const stored = this.records.get(k);
        return stored !== undefined && stored.fetchedAt.getTime() <= fetchedAt.getTime();
      });
      for (const k of evicted) this.records.delete(k);
      return Promise.resolve(evicted);
    },
  };

  readonly refreshPort: RefreshQueuePort = {
    enqueue: (requests) => {
      this.enqueue(requests);
      return Promise.resolve();
    },
    claimBatch: ({ worker, limit, claimTtlMs, types }) => {
      const now = this.now();
      const claimable = (r: StoredRefresh) =>
        ((r.status === 'pending' && r.notBefore <= now) ||
          (r.status === 'claimed' && r.claimExpiresAt <= now)) &&
        (!types || types.includes(r.type));
      const head = this.refreshes.filter(claimable).sort(byRequestedAt)[0];
      if (!head) return Promise.resolve([]);
      const batch = this.refreshes
        .filter(
          (r) =>
            claimable(r) && r.account === head.account && r.region === head.region && r.type === head.type,
        )
        .sort(byRequestedAt)
        .slice(0, limit);
      for (const r of batch) {
        Object.assign(r, {
          status: 'claimed',
          claimedBy: worker,
          claimExpiresAt: now + claimTtlMs,
          attempts: r.attempts + 1,
        });
      }
      return Promise.resolve(batch.map(toClaimed));
    },
    complete: (worker, ids, readStartedAt) => {
      const done: string[] = [];
      for (const r of this.refreshes) {
        if (
          ids.includes(r.id) &&
          r.claimedBy === worker &&
          r.status === 'claimed' &&
          r.requestedAt <= readStartedAt
        ) {
          Object.assign(r, { status: 'succeeded', processedAt: this.clock.now(), error: null });
          done.push(r.id);
        }
      }
      return Promise.resolve(done);
    },
    fail: (worker, failures, { maxAttempts, backoffMs }) => {
      const out: { id: string; status: string }[] = [];
      for (const f of failures) {
        const r = this.refreshes.find(
          (x) => x.id === f.id && x.claimedBy === worker && x.status === 'claimed',
        );
        if (!r) continue;
        const newer = this.refreshes.some((x) => x.key === r.key && x.status === 'pending');
        r.error = f.error;
        r.claimedBy = null;
        if (r.attempts >= maxAttempts) Object.assign(r, { status: 'failed', processedAt: this.clock.now() });
        else if (newer) r.status = 'merged';
        else
          Object.assign(r, { status: 'pending', notBefore: this.now() + backoffMs * 2 ** (r.attempts - 1) });
        out.push({ id: r.id, status: r.status });
      }
      return Promise.resolve(out);
    },
  };

  readonly healthPort: PipelineHealthPort = {
    list: (now) =>
      Promise.resolve(
        [...this.heartbeats].map(([scope, healthyUntil]) => {
          const [account, region] = scope.split('/');
          return { account, region, healthyUntil, healthy: healthyUntil.getTime() > now.getTime() };
        }),
      ),
  };

  readonly notificationsPort: RefreshNotificationsPort = {
    subscribe: (onRefresh) => {
      this.listeners.add(onRefresh);
      return Promise.resolve(() => {
        this.listeners.delete(onRefresh);
        return Promise.resolve();
      });
    },
  };

  /** All ports, as `AgentRuntime` takes them. */
  ports() {
    return {
      leases: this.leasesPort,
      schedules: this.schedulesPort,
      cache: this.cachePort,
      refreshes: this.refreshPort,
      pipelineHealth: this.healthPort,
      notifications: this.notificationsPort,
    };
  }

  /**
   * Enqueues refresh requests; a key already pending absorbs the new request (latest ask wins, and
   * the earlier claimable time). `delayMs` parks a request that long.
   */
  enqueue(
    requests: readonly {
      type: string;
      key: string;
      account: string;
      region: string;
      target?: Record<string, unknown> | null;
      requestedAt?: Date;
      delayMs?: number;
    }[],
  ): void {
    for (const req of requests) {
      const requestedAt = req.requestedAt ?? this.clock.now();
      const notBefore = this.now() + Math.max(0, req.delayMs ?? 0);
      const pending = this.refreshes.find((r) => r.key === req.key && r.status === 'pending');
      if (pending) {
        if (requestedAt > pending.requestedAt) pending.requestedAt = requestedAt;
        pending.notBefore = Math.min(pending.notBefore, notBefore);
        if (req.target) pending.target = req.target;
        continue;
      }
      this.refreshes.push({
        id: String(this.nextRefreshId++),
        type: req.type,
        key: req.key,
        account: req.account,
        region: req.region,
        target: req.target ?? null,
        requestedAt,
        status: 'pending',
        attempts: 0,
        notBefore,
        claimedBy: null,
        claimExpiresAt: 0,
        processedAt: null,
        error: null,
      });
    }
    for (const listener of this.listeners) listener();
  }

  /** Marks an account/region's event pipeline healthy until then. */
  heartbeat(account: string, region: string, healthyUntil: Date): void {
    this.heartbeats.set(`${account}/${region}`, healthyUntil);
  }

  /** Sets an admin override on one agent. */
  override(agentId: string, override: AgentScheduleState['override']): void {
    const s = this.schedules.get(agentId);
    if (s) s.override = override;
  }

  private write(
    records: readonly CacheRecord[],
    options: { fetchedAt: Date; agent?: string | null; touchUnchanged?: boolean; run?: string },
  ): { written: string[]; unchanged: number; stale: number } {
    const result = { written: [] as string[], unchanged: 0, stale: 0 };
    for (const record of new Map(records.map((r) => [r.key, r])).values()) {
      const stored = this.records.get(record.key);
      if (stored && stored.fetchedAt.getTime() > options.fetchedAt.getTime()) {
        result.stale++;
        continue;
      }
      const agent = options.agent ?? stored?.agent ?? null;
      if (stored && stored.agent === agent && sameBody(stored.record, record)) {
        result.unchanged++;
        if (options.touchUnchanged) stored.fetchedAt = options.fetchedAt;
        if (options.run) stored.seenByRun = options.run;
        continue;
      }
      this.records.set(record.key, {
        record,
        agent,
        fetchedAt: options.fetchedAt,
        writtenAt: this.clock.now(),
        seenByRun: options.run ?? stored?.seenByRun ?? null,
      });
      result.written.push(record.key);
    }
    return result;
  }
}

/** The store hashes attributes and relationships; comparing them structurally is the same test. */
function sameBody(a: CacheRecord, b: CacheRecord): boolean {
  if (!sameJson(a.attributes, b.attributes)) return false;
  return (
    sameJson(a.relationships ?? {}, b.relationships ?? {}) ||
    sameJson(normalized(a.relationships), normalized(b.relationships))
  );
}

/** Deep equality of JSON-like values (what the store would serialize). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let count = 0;
  for (const key in ao) {
    if (ao[key] === undefined) continue;
    count++;
    if (!sameJson(ao[key], bo[key])) return false;
  }
  for (const key in bo) if (bo[key] !== undefined) count--;
  return count === 0;
}

function normalized(relationships: Record<string, string[]> | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [type, keys] of Object.entries(relationships ?? {})) out[type] = [...new Set(keys)].sort();
  return out;
}

function byRequestedAt(a: StoredRefresh, b: StoredRefresh): number {
  return a.requestedAt.getTime() - b.requestedAt.getTime() || Number(a.id) - Number(b.id);
}

function toClaimed(r: StoredRefresh): ClaimedRefresh {
  return {
    id: r.id,
    type: r.type,
    key: r.key,
    account: r.account,
    region: r.region,
    target: r.target,
    requestedAt: r.requestedAt,
  };
}
