import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ClouddriverRegistryRepository } from '@event-cache/cache-store';
import { APP_CONFIG, type AppConfig, MetricsService } from '@event-cache/platform';
import type { Gauge } from 'prom-client';
import type { DiscoveredInstance } from '../kubernetes/endpoint-instances';
import { Backoff } from './backoff';

/** Longest pause between two attempts to mirror the map while the database fails. */
const MAX_SYNC_BACKOFF_MS = 5_000;

/** A Clouddriver instance as the forwarder knows it. */
export interface ClouddriverInstanceState {
  id: string;
  baseUrl: string;
  ready: boolean;
  /** When this entry last changed (appeared, moved, became ready or not ready). */
  lastUpdated: Date;
}

/**
 * The in-memory map of Clouddriver instances (pod name -> address, readiness), replaced as a
 * whole by discovery, and mirrored into the `clouddriver_instance` table for the other services
 * and replicas. Table writes are coalesced (one in flight, the latest state wins) and retried with
 * backoff when the database is unavailable, at most MAX_SYNC_BACKOFF_MS apart: the table holds the
 * current map within seconds of the database coming back.
 */
@Injectable()
export class InstanceRegistry implements OnApplicationShutdown {
  private readonly logger = new Logger(InstanceRegistry.name);
  private instances = new Map<string, ClouddriverInstanceState>();
  private roundRobin = 0;
  private readonly listeners = new Set<() => void>();
  private readonly known: Gauge;
  private readonly readyGauge: Gauge;

  private dirty = false;
  private syncing = false;
  private stopped = false;
  private retryTimer?: NodeJS.Timeout;
  private readonly syncBackoff: Backoff;
  private readonly flushWaiters: (() => void)[] = [];

  constructor(
    private readonly store: ClouddriverRegistryRepository,
    metrics: MetricsService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.known = metrics.gauge({
      name: 'clouddriver_instances_known',
      help: 'Clouddriver instances (pods) discovered through Kubernetes, ready or not',
    });
    this.readyGauge = metrics.gauge({
      name: 'clouddriver_instances_ready',
      help: 'Discovered Clouddriver instances that are ready to receive requests',
    });
    const { backoffInitialMs, backoffMaxMs } = config.forwarder;
    this.syncBackoff = new Backoff(
      Math.min(backoffInitialMs, MAX_SYNC_BACKOFF_MS),
      Math.min(backoffMaxMs, MAX_SYNC_BACKOFF_MS),
    );
  }

  /**
   * Replaces the map with what discovery sees now. Entries whose address or readiness changed
   * (or that are new) get `lastUpdated = now`; unchanged entries keep theirs. Returns whether
   * anything changed.
   */
  update(discovered: readonly DiscoveredInstance[], now = new Date()): boolean {
    const next = new Map<string, ClouddriverInstanceState>();
    let changed = discovered.length !== this.instances.size;
    for (const d of discovered) {
      const current = this.instances.get(d.id);
      if (current && current.baseUrl === d.baseUrl && current.ready === d.ready) next.set(d.id, current);
      else {
        next.set(d.id, { id: d.id, baseUrl: d.baseUrl, ready: d.ready, lastUpdated: now });
        changed = true;
      }
    }
    if (!changed) return false;
    this.instances = next;
    this.known.set(next.size);
    this.readyGauge.set([...next.values()].filter((i) => i.ready).length);
    this.requestSync();
    for (const listener of this.listeners) listener();
    return true;
  }

  /** Every known instance, sorted by id. */
  list(): ClouddriverInstanceState[] {
    return [...this.instances.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get(id: string): ClouddriverInstanceState | undefined {
    return this.instances.get(id);
  }

  /** The next ready instance, round robin; undefined when none is ready. */
  nextReady(): ClouddriverInstanceState | undefined {
    const ready = this.list().filter((i) => i.ready);
    if (!ready.length) return undefined;
    return ready[this.roundRobin++ % ready.length];
  }

  /** Calls `listener` after every change of the map; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once the table holds the current map (nothing pending, nothing in flight). */
  flushed(): Promise<void> {
    if (!this.dirty && !this.syncing) return Promise.resolve();
    return new Promise((resolve) => this.flushWaiters.push(resolve));
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
  }

  private requestSync(): void {
    this.dirty = true;
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.syncing || this.retryTimer || this.stopped) return;
    this.syncing = true;
    try {
      while (this.dirty && !this.stopped) {
        this.dirty = false;
        await this.store.syncInstances(this.list());
      }
      this.syncBackoff.reset();
    } catch (e) {
      this.dirty = true;
      if (!this.stopped) {
        const delayMs = this.syncBackoff.next();
        this.logger.warn({
          msg: `cannot write the Clouddriver instance table; retrying in ${delayMs} ms`,
          err: (e as { message?: unknown } | undefined)?.message ?? String(e),
        });
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          void this.drain();
        }, delayMs);
      }
    } finally {
      this.syncing = false;
    }
    if (!this.dirty) this.flushWaiters.splice(0).forEach((resolve) => resolve());
  }
}
