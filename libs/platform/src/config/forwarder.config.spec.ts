import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config.loader';

const dir = mkdtempSync(join(tmpdir(), 'event-cache-forwarder-config-'));

function load(yaml: string) {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, yaml);
  return loadConfig('clouddriver-forwarder', { EVENT_CACHE_CONFIG: path });
}

function problems(yaml: string): string[] {
  try {
    load(yaml);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('forwarder configuration', () => {
  it('defaults to EndpointSlices of spin-clouddriver* with an http port, in the discovered namespace', () => {
    expect(loadConfig('clouddriver-forwarder', {}).forwarder).toEqual({
      endpointPrefix: 'spin-clouddriver',
      portName: 'http',
      resource: 'endpointslices',
      kubernetesTimeoutMs: 10_000,
      watchTimeoutSeconds: 300,
      backoffInitialMs: 1_000,
      backoffMaxMs: 30_000,
      forwardTimeoutMs: 10_000,
      forwardRetries: 2,
      retryAfterSeconds: 5,
      operationTtlSeconds: 3_600,
    });
  });

  it('takes a namespace, Endpoints and a kubeconfig file', () => {
    expect(
      load(
        'forwarder: { namespace: spinnaker, resource: endpoints, kubeconfig: /etc/forwarder/kubeconfig }\n',
      ).forwarder,
    ).toMatchObject({
      namespace: 'spinnaker',
      resource: 'endpoints',
      kubeconfig: '/etc/forwarder/kubeconfig',
    });
  });

  it('rejects names Kubernetes would not accept, unknown resources and inverted backoffs', () => {
    expect(problems('forwarder: { namespace: Spinnaker_NS }\n')).toEqual([
      expect.stringMatching(/^forwarder\.namespace: /),
    ]);
    expect(problems('forwarder: { resource: pods }\n')).toEqual([
      expect.stringMatching(/^forwarder\.resource: /),
    ]);
    expect(problems('forwarder: { backoffInitialMs: 5000, backoffMaxMs: 1000 }\n')).toEqual([
      'forwarder.backoffMaxMs: must not be below backoffInitialMs',
    ]);
    expect(problems('forwarder: { forwardRetries: 50 }\n')).toEqual([
      expect.stringMatching(/^forwarder\.forwardRetries: /),
    ]);
  });
});
