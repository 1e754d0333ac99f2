import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

/** How to reach the Kubernetes API and which namespace to watch. */
export interface KubernetesTarget {
  kubeConfig: KubeConfig;
  namespace: string;
  /** Where the credentials come from, for logs and readiness (never the credentials themselves). */
  source: string;
}

/** What the resolution looks at; the process's own environment unless a test says otherwise. */
export interface KubernetesEnvironment {
  env: Record<string, string | undefined>;
  serviceAccountDir: string;
  home: string;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The only place the forwarder reads the environment (besides the config loader): in-cluster
 * detection and KUBECONFIG, the way kubectl and client-go do it.
 */
export function processEnvironment(): KubernetesEnvironment {
  return { env: process.env, serviceAccountDir: SERVICE_ACCOUNT_DIR, home: homedir() };
}

/**
 * Resolves the Kubernetes connection, first match wins: the configured `forwarder.kubeconfig`
 * file; the pod's service account when running in a cluster; `KUBECONFIG` (several files merged,
 * like kubectl); `~/.kube/config`. The namespace is the configured one, else the service account's
 * (the pod's own), else the kubeconfig context's, else `default`. Never throws: a problem is
 * returned as a message that names what was tried.
 */
export function resolveKubernetesTarget(
  forwarder: { kubeconfig?: string; namespace?: string },
  environment: KubernetesEnvironment = processEnvironment(),
): KubernetesTarget | { problem: string } {
  const { env, serviceAccountDir, home } = environment;
  const kubeConfig = new KubeConfig();
  let source: string;
  try {
    if (forwarder.kubeconfig) {
      source = `kubeconfig ${forwarder.kubeconfig} (forwarder.kubeconfig)`;
      kubeConfig.loadFromFile(forwarder.kubeconfig);
    } else if (
      env.KUBERNETES_SERVICE_HOST &&
      env.KUBERNETES_SERVICE_PORT &&
      existsSync(join(serviceAccountDir, 'token'))
    ) {
      source = 'in-cluster service account';
      loadInCluster(kubeConfig, env, serviceAccountDir);
    } else if (env.KUBECONFIG) {
      const files = env.KUBECONFIG.split(delimiter).filter(Boolean);
      source = `KUBECONFIG ${files.join(delimiter)}`;
      kubeConfig.loadFromFile(files[0]);
      for (const file of files.slice(1)) {
        const more = new KubeConfig();
        more.loadFromFile(file);
        // Like kubectl: the first file that sets a current context decides it.
        kubeConfig.mergeConfig(more, !!kubeConfig.getCurrentContext());
      }
    } else if (existsSync(join(home, '.kube', 'config'))) {
      source = `kubeconfig ${join(home, '.kube', 'config')}`;
      kubeConfig.loadFromFile(join(home, '.kube', 'config'));
    } else {
      return {
        problem:
          'no Kubernetes configuration: not running in a pod (no service account), forwarder.kubeconfig ' +
          'not set, KUBECONFIG not set and no ~/.kube/config',
      };
    }
  } catch (e) {
    return { problem: `cannot load the Kubernetes configuration: ${errorMessage(e)}` };
  }
  if (!kubeConfig.getCurrentCluster()) {
    return { problem: `${source}: the current context names no cluster` };
  }
  const contextNamespace = kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace;
  return { kubeConfig, namespace: forwarder.namespace ?? contextNamespace ?? 'default', source };
}

/** KubeConfig.loadFromCluster, with the service account folder and environment given explicitly. */
function loadInCluster(
  kubeConfig: KubeConfig,
  env: Record<string, string | undefined>,
  serviceAccountDir: string,
): void {
  const host = env.KUBERNETES_SERVICE_HOST!;
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT}`;
  const namespaceFile = join(serviceAccountDir, 'namespace');
  const namespace = existsSync(namespaceFile) ? readFileSync(namespaceFile, 'utf8').trim() : undefined;
  kubeConfig.loadFromOptions({
    clusters: [
      { name: 'in-cluster', server, caFile: join(serviceAccountDir, 'ca.crt'), skipTLSVerify: false },
    ],
    // The token file is re-read as the kubelet rotates it (bound service account tokens expire).
    users: [
      {
        name: 'in-cluster',
        authProvider: { name: 'tokenFile', config: { tokenFile: join(serviceAccountDir, 'token') } },
      },
    ],
    contexts: [{ name: 'in-cluster', cluster: 'in-cluster', user: 'in-cluster', namespace }],
    currentContext: 'in-cluster',
  });
}

function errorMessage(e: unknown): string {
  const message = (e as { message?: unknown } | undefined)?.message;
  return (typeof message === 'string' ? message : String(e)).split('\n')[0];
}
