import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import {
  configProblems,
  type K8sObject,
  overlayProblems,
  Rendered,
  renderingProblems,
  schemaProblems,
} from './manifest-checks';

/**
 * The checks behind `npm run test:k8s`, run on k8s/base as Kustomize would render it (resources,
 * the generated ConfigMap, namespace, image tags): the real manifests pass, and each kind of
 * mistake an operator's patch could make is caught. Needs no kubectl.
 */
const BASE = join(__dirname, '..', '..', 'k8s', 'base');

interface Kustomization {
  namespace: string;
  resources: string[];
  images: { name: string; newTag: string }[];
  configMapGenerator: { name: string; files: string[] }[];
}

function renderBase(): K8sObject[] {
  const kustomization = parse(readFileSync(join(BASE, 'kustomization.yaml'), 'utf8')) as Kustomization;
  const objects = kustomization.resources.flatMap((file) =>
    parseAllDocuments(readFileSync(join(BASE, file), 'utf8')).map((d) => d.toJS() as K8sObject),
  );
  for (const generator of kustomization.configMapGenerator) {
    const data = Object.fromEntries(generator.files.map((f) => [f, readFileSync(join(BASE, f), 'utf8')]));
    objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: generator.name }, data });
  }
  const text = JSON.stringify(objects).replace(/"image":"(event-cache\/[a-z-]+)"/g, (_, name: string) => {
    const tag = kustomization.images.find((i) => i.name === name)?.newTag;
    return `"image":"${name}:${tag}"`;
  });
  const rendered = JSON.parse(text) as K8sObject[];
  for (const o of rendered) {
    o.metadata = { ...o.metadata, namespace: kustomization.namespace };
    if (o.kind === 'RoleBinding') {
      for (const s of o.subjects as { namespace?: string }[]) s.namespace = kustomization.namespace;
    }
  }
  return rendered;
}

// Loose views for editing the fixtures in place, the way an operator's patch would.
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return */
type Any = any;
const find = (objects: K8sObject[], kind: string, name: string): Any => {
  const found = objects.find((o) => o.kind === kind && o.metadata?.name === name);
  if (!found) throw new Error(`fixture has no ${kind}/${name}`);
  return found;
};
const pod = (objects: K8sObject[], service: string): Any =>
  find(objects, 'Deployment', `event-cache-${service}`).spec.template.spec;
/** Removes the first item that matches, as a patch deleting it would. */
const remove = <T>(items: T[], match: (item: T) => boolean): void => {
  items.splice(items.findIndex(match), 1);
};
const container = (objects: K8sObject[], service: string): Any =>
  pod(objects, service).containers.find((c: Any) => c.name === service);

function allProblems(objects: K8sObject[]): string[] {
  const schema = schemaProblems(objects);
  if (schema.length) return schema.map((p) => `${p.where}: ${p.message}`);
  return renderingProblems(new Rendered(objects)).problems.map((p) => `${p.where}: ${p.message}`);
}

/** The problems found after `change` is applied to a fresh copy of the base. */
function problemsAfter(change: (objects: K8sObject[]) => void): string[] {
  const objects = renderBase();
  change(objects);
  return allProblems(objects);
}

describe('Kubernetes manifest checks', () => {
  it('find nothing wrong with k8s/base', () => {
    const objects = renderBase();
    expect(objects.map((o) => o.kind)).toEqual(
      expect.arrayContaining([
        'Deployment',
        'Service',
        'Job',
        'Role',
        'RoleBinding',
        'PodDisruptionBudget',
        'NetworkPolicy',
      ]),
    );
    expect(allProblems(objects)).toEqual([]);
  });

  describe('schemas', () => {
    it('reject a field of the wrong type', () => {
      const problems = problemsAfter(
        (o) => (find(o, 'Deployment', 'event-cache-gate-endpoint').spec.replicas = 'two'),
      );
      expect(problems).toEqual([
        expect.stringMatching(/^Deployment\/event-cache-gate-endpoint: .*replicas must be integer/),
      ]);
    });

    it('reject a kind they have no schema for', () => {
      const problems = problemsAfter((o) =>
        o.push({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }),
      );
      expect(problems).toEqual(['Widget/w: no schema for example.com/v1 Widget']);
    });
  });

  describe('workloads', () => {
    it('refuse a secret written as a literal value', () => {
      const problems = problemsAfter((o) => {
        const env = container(o, 'gate-endpoint').env.find((e: { name: string }) => e.name === 'ADMIN_TOKEN');
        env.value = 'correct-horse-battery-staple';
        delete env.valueFrom;
      });
      expect(problems).toContain(
        'Deployment/event-cache-gate-endpoint: container gate-endpoint: ADMIN_TOKEN is a literal value; take it from a Secret (secretKeyRef)',
      );
    });

    it('refuse Secret objects in the manifests', () => {
      const problems = problemsAfter((o) =>
        o.push({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'event-cache' },
          stringData: { 'admin-token': 'x' },
        }),
      );
      expect(problems).toContain(
        'Secret/event-cache: no Secret objects: reference an existing Secret instead',
      );
    });

    it('want a read-only root filesystem, no privilege escalation and no capabilities', () => {
      const problems = problemsAfter((o) => {
        const c = container(o, 'caching-agents');
        c.securityContext = { readOnlyRootFilesystem: false };
      });
      expect(problems).toEqual([
        'Deployment/event-cache-caching-agents: container caching-agents: readOnlyRootFilesystem must be true',
        'Deployment/event-cache-caching-agents: container caching-agents: allowPrivilegeEscalation must be false',
        'Deployment/event-cache-caching-agents: container caching-agents: must drop ALL capabilities',
      ]);
    });

    it('want non-root pods', () => {
      const problems = problemsAfter((o) => (pod(o, 'event-scheduler').securityContext = { runAsUser: 0 }));
      expect(problems).toContain('Deployment/event-cache-event-scheduler: pod runs as uid 0');
      expect(problems).toContain(
        'Deployment/event-cache-event-scheduler: container event-scheduler: runAsNonRoot must be true',
      );
    });

    it('want requests and limits on every container, init containers included', () => {
      const problems = problemsAfter(
        (o) => delete pod(o, 'gate-endpoint').initContainers[0].resources.limits,
      );
      expect(problems).toEqual([
        'Deployment/event-cache-gate-endpoint: container wait-for-schema: resources.limits.cpu missing',
        'Deployment/event-cache-gate-endpoint: container wait-for-schema: resources.limits.memory missing',
      ]);
    });

    it('want the health probes on the service port', () => {
      const problems = problemsAfter((o) => {
        container(o, 'gate-endpoint').readinessProbe.httpGet.path = '/health/live';
        container(o, 'gate-endpoint').livenessProbe.httpGet.port = 9999;
      });
      expect(problems).toEqual([
        'Deployment/event-cache-gate-endpoint: liveness probe must GET /health/live on the http port',
        'Deployment/event-cache-gate-endpoint: readiness probe must GET /health/ready on the http port',
      ]);
    });

    it('want the container port to be the one the service listens on, and scraped there', () => {
      const problems = problemsAfter((o) => (container(o, 'event-scheduler').ports[0].containerPort = 8080));
      expect(problems).toContain(
        'Deployment/event-cache-event-scheduler: container port "http" is 8080, but event-scheduler listens on 8091',
      );
    });

    it('want a V8 heap cap well under the memory limit', () => {
      const problems = problemsAfter((o) => {
        container(o, 'caching-agents').resources.limits.memory = '128Mi';
        const env = container(o, 'event-scheduler').env as { name: string }[];
        remove(env, (e) => e.name === 'NODE_OPTIONS');
      });
      expect(problems).toEqual([
        'Deployment/event-cache-event-scheduler: NODE_OPTIONS needs --max-old-space-size under the memory limit, so V8 collects before it is killed',
        'Deployment/event-cache-caching-agents: V8 heap cap 256 MiB leaves too little of the 128 MiB memory limit (keep it <= 75%)',
      ]);
    });

    it('want the services to wait for the migrations Job', () => {
      const problems = problemsAfter((o) => {
        delete pod(o, 'caching-agents').initContainers;
        remove(o, (x) => x.kind === 'Job');
      });
      expect(problems).toEqual([
        'Deployment/event-cache-caching-agents: needs the wait-for-schema init container (the migrations Job runs first)',
        'manifests: needs exactly one Job running dist/tools/db/migrate.js',
        'NetworkPolicy/event-cache-migrate: selects no pod of these manifests (a label that does not match?)',
      ]);
    });

    it('want one release: every image at the same tag', () => {
      const problems = problemsAfter(
        (o) => (container(o, 'gate-endpoint').image = 'event-cache/gate-endpoint:0.2.0'),
      );
      expect(problems).toContain(
        'Deployment/event-cache-gate-endpoint: wait-for-schema must run the same image as the service',
      );
      expect(problems).toContain('manifests: images at different tags: 0.1.0, 0.2.0');
    });

    it('refuse untagged or latest images', () => {
      const problems = problemsAfter((o) => {
        container(o, 'clouddriver-forwarder').image = 'event-cache/clouddriver-forwarder:latest';
        pod(o, 'clouddriver-forwarder').initContainers[0].image = 'event-cache/clouddriver-forwarder:latest';
      });
      expect(problems).toContain(
        'Deployment/event-cache-clouddriver-forwarder: container clouddriver-forwarder: image "event-cache/clouddriver-forwarder:latest" needs a release tag (or digest)',
      );
    });

    it('keep Kubernetes API tokens out of every pod but the forwarder', () => {
      const problems = problemsAfter((o) => delete pod(o, 'gate-endpoint').automountServiceAccountToken);
      expect(problems).toEqual([
        'Deployment/event-cache-gate-endpoint: automountServiceAccountToken must be false: only clouddriver-forwarder talks to the Kubernetes API',
      ]);
    });
  });

  describe('wiring', () => {
    it('want every Service to select exactly one Deployment', () => {
      const problems = problemsAfter(
        (o) => (find(o, 'Service', 'event-cache-gate-endpoint').spec.selector = { app: 'gate' }),
      );
      expect(problems).toEqual(['Service/event-cache-gate-endpoint: selects 0 Deployments, not 1']);
    });

    it('refuse a PodDisruptionBudget that blocks node drains', () => {
      const problems = problemsAfter((o) => {
        find(o, 'Deployment', 'event-cache-caching-agents').spec.replicas = 1;
        find(o, 'PodDisruptionBudget', 'event-cache-caching-agents').spec = {
          minAvailable: 1,
          selector: { matchLabels: { 'app.kubernetes.io/name': 'caching-agents' } },
        };
      });
      expect(problems).toEqual([
        'PodDisruptionBudget/event-cache-caching-agents: with 1 replica(s) it would block every node drain',
      ]);
    });

    it('want PodDisruptionBudgets for gate-endpoint and caching-agents', () => {
      const problems = problemsAfter((o) =>
        remove(
          o,
          (x) => x.kind === 'PodDisruptionBudget' && x.metadata?.name === 'event-cache-gate-endpoint',
        ),
      );
      expect(problems).toEqual(['Deployment/event-cache-gate-endpoint: needs a PodDisruptionBudget']);
    });
  });

  describe('RBAC', () => {
    it('allows the forwarder exactly list and watch on endpoints and endpointslices', () => {
      const problems = problemsAfter((o) =>
        find(o, 'Role', 'event-cache-clouddriver-forwarder').rules[1].verbs.push('get'),
      );
      expect(problems).toEqual([
        'Role/event-cache-clouddriver-forwarder: grants /endpoints:list,watch discovery.k8s.io/endpointslices:get,list,watch; want exactly /endpoints:list,watch discovery.k8s.io/endpointslices:list,watch',
      ]);
    });

    it('refuses cluster-wide roles', () => {
      const problems = problemsAfter((o) =>
        o.push({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: 'wide' },
          rules: [],
        }),
      );
      expect(problems).toEqual([
        'ClusterRole/wide: no cluster-wide RBAC: the forwarder reads its own namespace',
      ]);
    });

    it('wants the binding to name the forwarder in its own namespace', () => {
      const problems = problemsAfter(
        (o) =>
          (find(o, 'RoleBinding', 'event-cache-clouddriver-forwarder').subjects[0].namespace = 'default'),
      );
      expect(problems).toEqual([
        'RoleBinding/event-cache-clouddriver-forwarder: must bind the Role to ServiceAccount event-cache-clouddriver-forwarder in its own namespace only',
      ]);
    });
  });

  describe('network policies', () => {
    const policy = (o: K8sObject[], service: string): Any =>
      find(o, 'NetworkPolicy', `event-cache-${service}`);
    /** The ingress rules of a service's policy, as [sources, ports] in words. */
    const admitted = (o: K8sObject[], service: string): string[] =>
      policy(o, service).spec.ingress.map((rule: Any) => JSON.stringify(rule.from));

    it('isolate every service: only Clouddriver and event-scheduler reach the forwarder, Orca, Gate and the ingress gate-endpoint', () => {
      const o = renderBase();
      expect(admitted(o, 'clouddriver-forwarder')).toEqual([
        expect.stringContaining(
          '"values":["clouddriver","clouddriver-rw","clouddriver-ro","clouddriver-ro-deck","clouddriver-caching"]',
        ),
        expect.stringContaining('"values":["event-scheduler"]'),
        expect.stringContaining('"values":["monitoring"]'),
      ]);
      expect(admitted(o, 'gate-endpoint')).toEqual([
        expect.stringContaining('"values":["orca","gate"]'),
        expect.stringContaining('"values":["ingress-nginx"]'),
        expect.stringContaining('"values":["monitoring"]'),
      ]);
      for (const service of ['event-scheduler', 'caching-agents'])
        expect(admitted(o, service)).toEqual([expect.stringContaining('"values":["monitoring"]')]);
      expect(policy(o, 'migrate').spec.ingress).toBeUndefined();
    });

    it('notice a service no policy isolates', () => {
      const problems = problemsAfter((o) =>
        remove(
          o,
          (x) => x.metadata?.name === 'event-cache-clouddriver-forwarder' && x.kind === 'NetworkPolicy',
        ),
      );
      expect(problems).toEqual([
        'Deployment/event-cache-clouddriver-forwarder: no NetworkPolicy isolates its pods for ingress: any pod of the cluster can reach them',
      ]);
    });

    it('notice a policy whose selector matches no pod (a typo isolates nothing)', () => {
      const problems = problemsAfter((o) => {
        policy(o, 'caching-agents').spec.podSelector.matchLabels['app.kubernetes.io/name'] = 'caching-agent';
      });
      expect(problems).toEqual([
        'Deployment/event-cache-caching-agents: no NetworkPolicy isolates its pods for ingress: any pod of the cluster can reach them',
        'NetworkPolicy/event-cache-caching-agents: selects no pod of these manifests (a label that does not match?)',
      ]);
    });

    it('refuse rules that admit anything: no sources, every namespace, every address, every port', () => {
      const problems = problemsAfter((o) => {
        const rules = policy(o, 'gate-endpoint').spec.ingress;
        delete rules[0].from;
        rules[1].from = [{ namespaceSelector: {} }, { ipBlock: { cidr: '0.0.0.0/0' } }, {}];
        delete rules[2].ports;
      });
      expect(problems).toEqual([
        'NetworkPolicy/event-cache-gate-endpoint: ingress rule 1 has no "from": it admits every source',
        'NetworkPolicy/event-cache-gate-endpoint: ingress rule 2: admits every pod of every namespace',
        'NetworkPolicy/event-cache-gate-endpoint: ingress rule 2: admits every address',
        'NetworkPolicy/event-cache-gate-endpoint: ingress rule 2: an empty peer admits every source',
        'NetworkPolicy/event-cache-gate-endpoint: ingress rule 3 names no port: it admits every port',
      ]);
    });

    it('notice a port the selected pods do not have', () => {
      const problems = problemsAfter((o) => {
        policy(o, 'event-scheduler').spec.ingress[0].ports = [{ protocol: 'TCP', port: 'metrics' }];
      });
      expect(problems).toEqual([
        'NetworkPolicy/event-cache-event-scheduler: ingress rule 1: port metrics is not a port of Deployment/event-cache-event-scheduler',
      ]);
    });

    it('want event-scheduler let in to the forwarder when it propagates refreshes', () => {
      const propagating = (o: K8sObject[]) => {
        const data = find(o, 'ConfigMap', 'event-cache-config').data as Record<string, string>;
        data['config.yaml'] = data['config.yaml'].replace(
          'clouddriver:\n',
          'clouddriver:\n  propagateRefreshes: true\n',
        );
      };
      expect(problemsAfter(propagating)).toEqual([]);
      /** The forwarder's rule admitting event-scheduler, removed. */
      const schedulerShutOut = (o: K8sObject[]) => {
        const rules: Any[] = policy(o, 'clouddriver-forwarder').spec.ingress;
        remove(rules, (rule) => JSON.stringify(rule.from).includes('event-scheduler'));
      };
      const problems = problemsAfter((o) => {
        propagating(o);
        schedulerShutOut(o);
      });
      expect(problems).toEqual([
        'Deployment/event-cache-clouddriver-forwarder: clouddriver.propagateRefreshes is on, but no NetworkPolicy lets event-scheduler pods reach its http port',
      ]);
      // Without propagation, event-scheduler has no business there.
      expect(problemsAfter(schedulerShutOut)).toEqual([]);
    });
  });

  describe('configuration', () => {
    const setConfig = (o: K8sObject[], text: string): void => {
      (find(o, 'ConfigMap', 'event-cache-config').data as Record<string, string>)['config.yaml'] = text;
    };

    it('loads each service configuration the way its pod would, naming a bad field', () => {
      const problems = problemsAfter((o) => setConfig(o, 'polling:\n  defaultIntervalSecond: 30\n'));
      expect(problems).toHaveLength(4);
      expect(problems[0]).toMatch(
        /^Deployment\/event-cache-gate-endpoint: Invalid configuration:\n {2}- polling: unknown key\(s\) defaultIntervalSecond/,
      );
    });

    it('wants secrets in the Secret, not in the ConfigMap', () => {
      const problems = problemsAfter((o) => setConfig(o, 'events:\n  apiKey: 0123456789abcdef0123\n'));
      expect(problems).toEqual([
        'ConfigMap/event-cache-config: events.apiKey is set here; it belongs in the Secret',
      ]);
      const token = problemsAfter((o) => setConfig(o, 'forwarder:\n  token: 0123456789abcdef0123\n'));
      expect(token).toEqual([
        'ConfigMap/event-cache-config: forwarder.token is set here; it belongs in the Secret',
      ]);
      const clouddriverDb = problemsAfter((o) =>
        setConfig(
          o,
          'clouddriver:\n  cache:\n    enabled: true\n    databaseUrl: postgres://u:p@db:5432/clouddriver\n',
        ),
      );
      expect(clouddriverDb).toEqual([
        'ConfigMap/event-cache-config: clouddriver.cache.databaseUrl is set here; it belongs in the Secret',
      ]);
    });

    it('wants EVENT_CACHE_CONFIG to point at the mounted file', () => {
      const problems = problemsAfter((o) => {
        container(o, 'event-scheduler').env.find(
          (e: { name: string }) => e.name === 'EVENT_CACHE_CONFIG',
        ).value = '/etc/config.yaml';
      });
      expect(problems).toEqual([
        'Deployment/event-cache-event-scheduler: EVENT_CACHE_CONFIG /etc/config.yaml is not a file of a mounted ConfigMap',
      ]);
    });

    it('wants a termination grace period that covers the configured drain', () => {
      const problems = problemsAfter((o) => setConfig(o, 'agents:\n  shutdownGraceSeconds: 120\n'));
      expect(problems).toEqual([
        'Deployment/event-cache-caching-agents: terminationGracePeriodSeconds 60 < 130 s needed to shut down gracefully',
      ]);
    });
  });

  describe('overlays', () => {
    const withConfig = (text: string): { rendered: Rendered; config: ReturnType<typeof configProblems> } => {
      const objects = renderBase();
      (find(objects, 'ConfigMap', 'event-cache-config').data as Record<string, string>)['config.yaml'] = text;
      const rendered = new Rendered(objects);
      return { rendered, config: configProblems(rendered) };
    };
    const account = (environment: string): string =>
      `accounts:\n  - { name: a, accountId: '123456789012', regions: [{ name: us-east-1 }], environment: ${environment} }\n`;

    it('want nonprod to run fewer replicas and poll less often', () => {
      const prod = withConfig(account('prod'));
      const nonprod = withConfig(`${account('nonprod')}polling:\n  environmentMultipliers: { nonprod: 4 }\n`);
      for (const d of nonprod.rendered.deployments) d.spec!.replicas = 1;
      const configs = {
        prod: prod.config.configs.get('gate-endpoint'),
        nonprod: nonprod.config.configs.get('gate-endpoint'),
      };
      expect(overlayProblems(prod.rendered, nonprod.rendered, configs)).toEqual([]);
    });

    it('notice a nonprod overlay that polls as often as prod', () => {
      const prod = withConfig(account('prod'));
      const nonprod = withConfig(account('nonprod'));
      for (const d of nonprod.rendered.deployments) d.spec!.replicas = 1;
      const configs = {
        prod: prod.config.configs.get('gate-endpoint'),
        nonprod: nonprod.config.configs.get('gate-endpoint'),
      };
      expect(overlayProblems(prod.rendered, nonprod.rendered, configs)).toEqual([
        {
          where: 'overlays/nonprod',
          message:
            "polls every 30 s at the shortest, not longer than prod's 30 s (set an environment multiplier)",
        },
      ]);
    });

    it('notice a nonprod overlay with more replicas than prod', () => {
      const prod = withConfig(account('prod'));
      const nonprod = withConfig(`${account('nonprod')}polling:\n  environmentMultipliers: { nonprod: 4 }\n`);
      find(nonprod.rendered.objects, 'Deployment', 'event-cache-gate-endpoint').spec.replicas = 5;
      const configs = {
        prod: prod.config.configs.get('gate-endpoint'),
        nonprod: nonprod.config.configs.get('gate-endpoint'),
      };
      expect(overlayProblems(prod.rendered, nonprod.rendered, configs).map((p) => p.message)).toEqual([
        "event-cache-gate-endpoint: 5 replicas, more than prod's 2",
        'runs no fewer replicas than prod',
      ]);
    });
  });
});
