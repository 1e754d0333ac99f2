import { Logger } from '@nestjs/common';
import type { ClouddriverInstanceView, ClouddriverRegistryRepository } from '@event-cache/cache-store';
import { type AppConfig, loadConfig, MetricsService } from '@event-cache/platform';
import { InstanceRegistry } from './instance-registry.service';

const T0 = new Date('2025-11-20T10:00:00.000Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);

/** A registry table that records what it was given and can be made to fail. */
class FakeStore {
  readonly writes: ClouddriverInstanceView[][] = [];
  failures = 0;
  private release?: () => void;
  blocked?: Promise<void>;

  block(): void {
    this.blocked = new Promise((resolve) => (this.release = resolve));
  }
  unblock(): void {
    this.release?.();
    this.blocked = undefined;
  }

  async syncInstances(instances: readonly ClouddriverInstanceView[]): Promise<void> {
    await this.blocked;
    if (this.failures > 0) {
      this.failures--;
      throw new Error('connection terminated');
    }
    this.writes.push([...instances]);
  }
}

function setup() {
  const config: AppConfig = loadConfig('clouddriver-forwarder', {});
  config.forwarder.backoffInitialMs = 5;
  config.forwarder.backoffMaxMs = 10;
  const store = new FakeStore();
  const metrics = new MetricsService();
  const registry = new InstanceRegistry(store as unknown as ClouddriverRegistryRepository, metrics, config);
  return { registry, store, metrics };
}

describe('InstanceRegistry', () => {
  it('stamps lastUpdated only on entries that appeared or changed', () => {
    const { registry } = setup();
    expect(
      registry.update(
        [
          { id: 'cd-a', baseUrl: 'http://10.0.0.1:7002', ready: false },
          { id: 'cd-b', baseUrl: 'http://10.0.0.2:7002', ready: true },
        ],
        at(0),
      ),
    ).toBe(true);
    expect(
      registry.update(
        [
          { id: 'cd-a', baseUrl: 'http://10.0.0.1:7002', ready: true },
          { id: 'cd-b', baseUrl: 'http://10.0.0.2:7002', ready: true },
        ],
        at(10),
      ),
    ).toBe(true);
    expect(registry.list()).toEqual([
      { id: 'cd-a', baseUrl: 'http://10.0.0.1:7002', ready: true, lastUpdated: at(10) },
      { id: 'cd-b', baseUrl: 'http://10.0.0.2:7002', ready: true, lastUpdated: at(0) },
    ]);
    // The same view again changes nothing; a moved pod is an update; a missing one is gone.
    expect(registry.update(registry.list(), at(20))).toBe(false);
    registry.update([{ id: 'cd-b', baseUrl: 'http://10.0.0.9:7002', ready: true }], at(30));
    expect(registry.list()).toEqual([
      { id: 'cd-b', baseUrl: 'http://10.0.0.9:7002', ready: true, lastUpdated: at(30) },
    ]);
    expect(registry.get('cd-a')).toBeUndefined();
  });

  it('hands out ready instances round robin, never a not-ready one', () => {
    const { registry } = setup();
    registry.update([
      { id: 'cd-a', baseUrl: 'http://10.0.0.1:7002', ready: true },
      { id: 'cd-b', baseUrl: 'http://10.0.0.2:7002', ready: false },
      { id: 'cd-c', baseUrl: 'http://10.0.0.3:7002', ready: true },
    ]);
    expect(Array.from({ length: 4 }, () => registry.nextReady()?.id)).toEqual([
      'cd-a',
      'cd-c',
      'cd-a',
      'cd-c',
    ]);
    registry.update([{ id: 'cd-b', baseUrl: 'http://10.0.0.2:7002', ready: false }]);
    expect(registry.nextReady()).toBeUndefined();
  });

  it('mirrors the map into the table, coalescing changes made while a write is in flight', async () => {
    const { registry, store } = setup();
    store.block();
    registry.update([{ id: 'cd-a', baseUrl: 'http://10.0.0.1:7002', ready: false }], at(0));
    registry.update([{ id: 'cd-a', baseUrl: 'http://10.0.0.1:7002', ready: true }], at(1));
    registry.update([{ id: 'cd-b', baseUrl: 'http://10.0.0.2:7002', ready: true }], at(2));
    store.unblock();
    await registry.flushed();
    // The first write had started with the first view; the two later ones became one write.
    expect(store.writes.map((w) => w.map((i) => `${i.id}:${i.ready}`))).toEqual([
      ['cd-a:false'],
      ['cd-b:true'],
    ]);
  });

  it('retries a failed write with backoff until the table holds the current map', async () => {
    const { registry, store } = setup();
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    store.failures = 2;
    registry.update([{ id: 'cd-a', baseUrl: 'http://10.0.0.1:7002', ready: true }], at(0));
    await registry.flushed();
    expect(store.writes).toEqual([
      [{ id: 'cd-a', baseUrl: 'http://10.0.0.1:7002', ready: true, lastUpdated: at(0) }],
    ]);
    expect(warn.mock.calls.map(([m]) => (m as { err: string }).err)).toEqual([
      'connection terminated',
      'connection terminated',
    ]);
    warn.mockRestore();
  });

  it('publishes known and ready counts', async () => {
    const { registry, metrics } = setup();
    registry.update([
      { id: 'cd-a', baseUrl: 'http://10.0.0.1:7002', ready: true },
      { id: 'cd-b', baseUrl: 'http://10.0.0.2:7002', ready: false },
    ]);
    const text = (await metrics.render()).body;
    expect(text).toMatch(/^event_cache_clouddriver_instances_known 2$/m);
    expect(text).toMatch(/^event_cache_clouddriver_instances_ready 1$/m);
    await registry.flushed();
  });
});
