import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import {
  type KubernetesEnvironment,
  type KubernetesTarget,
  resolveKubernetesTarget,
} from './kubernetes-config';

const dir = mkdtempSync(join(tmpdir(), 'kubernetes-config-'));

function kubeconfig(name: string, server: string, namespace?: string): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: ${name}, cluster: {server: "${server}"}}]`,
      `users: [{name: ${name}, user: {token: abc}}]`,
      `contexts: [{name: ${name}, context: {cluster: ${name}, user: ${name}${namespace ? `, namespace: ${namespace}` : ''}}}]`,
      `current-context: ${name}`,
    ].join('\n'),
  );
  return path;
}

function environment(
  env: Record<string, string> = {},
  serviceAccount?: { namespace: string },
): KubernetesEnvironment {
  const root = mkdtempSync(join(dir, 'env-'));
  const serviceAccountDir = join(root, 'serviceaccount');
  if (serviceAccount) {
    mkdirSync(serviceAccountDir);
    writeFileSync(join(serviceAccountDir, 'token'), 'token');
    writeFileSync(join(serviceAccountDir, 'namespace'), `${serviceAccount.namespace}\n`);
  }
  return { env, serviceAccountDir, home: join(root, 'home') };
}

function target(result: ReturnType<typeof resolveKubernetesTarget>): KubernetesTarget {
  if ('problem' in result) throw new Error(result.problem);
  return result;
}

describe('resolveKubernetesTarget', () => {
  const inCluster = { KUBERNETES_SERVICE_HOST: '172.20.0.1', KUBERNETES_SERVICE_PORT: '443' };

  it("runs in the pod's own namespace with the service account when in a cluster", () => {
    const resolved = target(resolveKubernetesTarget({}, environment(inCluster, { namespace: 'spinnaker' })));
    expect(resolved).toMatchObject({ namespace: 'spinnaker', source: 'in-cluster service account' });
    expect(resolved.kubeConfig.getCurrentCluster()?.server).toBe('https://172.20.0.1:443');
    // A configured namespace wins.
    expect(
      target(
        resolveKubernetesTarget({ namespace: 'other' }, environment(inCluster, { namespace: 'spinnaker' })),
      ).namespace,
    ).toBe('other');
  });

  it('prefers a configured kubeconfig, then KUBECONFIG (files merged), then ~/.kube/config', () => {
    const configured = kubeconfig('configured', 'https://configured:6443', 'ns-configured');
    const first = kubeconfig('first', 'https://first:6443', 'ns-first');
    const second = kubeconfig('second', 'https://second:6443');
    const env = { ...inCluster, KUBECONFIG: [first, second].join(delimiter) };

    const fromConfig = target(
      resolveKubernetesTarget({ kubeconfig: configured }, environment(env, { namespace: 'x' })),
    );
    expect(fromConfig.namespace).toBe('ns-configured');
    expect(fromConfig.kubeConfig.getCurrentCluster()?.server).toBe('https://configured:6443');

    const fromEnv = target(resolveKubernetesTarget({}, environment({ KUBECONFIG: env.KUBECONFIG })));
    expect(fromEnv.namespace).toBe('ns-first');
    expect(fromEnv.kubeConfig.getClusters().map((c) => c.name)).toEqual(['first', 'second']);

    const home = environment();
    mkdirSync(join(home.home, '.kube'), { recursive: true });
    const homeConfig = join(home.home, '.kube', 'config');
    copyFileSync(kubeconfig('home', 'https://home:6443'), homeConfig);
    const fromHome = target(resolveKubernetesTarget({}, home));
    expect(fromHome).toMatchObject({ namespace: 'default', source: `kubeconfig ${homeConfig}` });
  });

  it('says what is missing instead of throwing', () => {
    expect(resolveKubernetesTarget({}, environment())).toEqual({
      problem:
        'no Kubernetes configuration: not running in a pod (no service account), forwarder.kubeconfig not set, KUBECONFIG not set and no ~/.kube/config',
    });
    expect(resolveKubernetesTarget({ kubeconfig: join(dir, 'missing') }, environment())).toEqual({
      problem: expect.stringMatching(/^cannot load the Kubernetes configuration: ENOENT/),
    });
  });
});
