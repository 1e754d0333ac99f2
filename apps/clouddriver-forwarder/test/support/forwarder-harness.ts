import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { startService } from '@event-cache/platform';
import { stringify } from 'yaml';
import {
  type DiscoveryStatus,
  ClouddriverDiscovery,
} from '../../src/discovery/clouddriver-discovery.service';
import {
  type ClouddriverInstanceState,
  InstanceRegistry,
} from '../../src/discovery/instance-registry.service';
import { service } from '../../src/service';

export interface RunningForwarder {
  app: INestApplication;
  baseUrl: string;
  registry: InstanceRegistry;
  discovery: ClouddriverDiscovery;
  close(): Promise<void>;
}

/**
 * Boots the forwarder against a database and a (fake) API server, through a temporary kubeconfig
 * whose context names the namespace, with short backoffs so failure scenarios stay fast.
 * `sections`: other configuration sections (`database`, `health` ...).
 */
export async function startForwarder(
  databaseUrl: string,
  apiServerUrl: string,
  namespace: string,
  forwarder: Record<string, unknown> = {},
  sections: Record<string, unknown> = {},
): Promise<RunningForwarder> {
  const dir = mkdtempSync(join(tmpdir(), 'clouddriver-forwarder-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      // A plain-HTTP test server: the client allows http:// only with TLS verification off.
      clusters: [{ name: 'fake', cluster: { server: apiServerUrl, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'forwarder', user: { token: 'test-token-not-a-secret' } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'forwarder', namespace } }],
      'current-context': 'fake',
    }),
  );
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    stringify({
      ...sections,
      forwarder: {
        kubeconfig,
        backoffInitialMs: 20,
        backoffMaxMs: 200,
        kubernetesTimeoutMs: 2_000,
        ...forwarder,
      },
    }),
  );
  const app = await startService(service, {
    DATABASE_URL: databaseUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    EVENT_CACHE_CONFIG: config,
  });
  return {
    app,
    baseUrl: await app.getUrl(),
    registry: app.get(InstanceRegistry),
    discovery: app.get(ClouddriverDiscovery),
    close: () => app.close(),
  };
}

/**
 * Resolves with `check()`'s first non-undefined value, evaluated now and after every event
 * `subscribe` delivers (no polling); rejects after `timeoutMs` with what was last seen.
 */
export function until<T>(
  subscribe: (listener: () => void) => () => void,
  check: () => T | undefined | false,
  describe: () => string,
  timeoutMs = 5_000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let unsubscribe = () => {};
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out after ${timeoutMs} ms; last seen: ${describe()}`));
    }, timeoutMs);
    const evaluate = () => {
      const value = check();
      if (value === undefined || value === false) return false;
      clearTimeout(timer);
      unsubscribe();
      resolve(value);
      return true;
    };
    if (!evaluate()) unsubscribe = subscribe(evaluate);
  });
}

/** Waits until discovery's status satisfies `predicate`. */
export function untilStatus(
  forwarder: RunningForwarder,
  predicate: (status: DiscoveryStatus) => boolean,
): Promise<DiscoveryStatus> {
  const { discovery } = forwarder;
  return until(
    (listener) => discovery.onStatus(listener),
    () => predicate(discovery.status()) && discovery.status(),
    () => JSON.stringify(discovery.status()),
  );
}

/** Waits until the instance map satisfies `predicate`. */
export function untilInstances(
  forwarder: RunningForwarder,
  predicate: (instances: ClouddriverInstanceState[]) => boolean,
): Promise<ClouddriverInstanceState[]> {
  const { registry } = forwarder;
  return until(
    (listener) => registry.onChange(listener),
    () => predicate(registry.list()) && registry.list(),
    () => JSON.stringify(registry.list()),
  );
}

/** Waits for the next `event` of an emitter (e.g. the fake API server's `watch`). */
export function nextEvent(
  emitter: NodeJS.EventEmitter,
  event: string,
  timeoutMs = 5_000,
): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, onEvent);
      reject(new Error(`no ${event} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const onEvent = (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args);
    };
    emitter.once(event, onEvent);
  });
}
