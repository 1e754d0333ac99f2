import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { AppConfig } from '@event-cache/platform';
import {
  type K8sObject,
  overlayProblems,
  type Problem,
  Rendered,
  renderingProblems,
  schemaProblems,
} from './manifest-checks';

/**
 * `npm run test:k8s`: renders k8s/base and every overlay with `kubectl kustomize` (KUBECTL names
 * another binary), checks every object against the Kubernetes API schemas offline, then checks
 * what the services need (tools/k8s/manifest-checks.ts). Exit code 1 on any problem.
 */
const root = resolve(__dirname, '..', '..', '..');
const kubectl = process.env.KUBECTL ?? 'kubectl';

function render(dir: string): K8sObject[] {
  const run = spawnSync(kubectl, ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error) {
    const missing = (run.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(
      missing
        ? `${kubectl} not found: install kubectl (Debian: apt-get install kubernetes-client) or set KUBECTL`
        : `${kubectl} kustomize ${dir}: ${run.error.message}`,
    );
  }
  // Newer kubectl warns about fields it deprecated (bases, patchesStrategicMerge, commonLabels)
  // that we keep for kubectl 1.20; anything else it says is shown.
  const said = run.stderr
    .split('\n')
    .filter((line) => line.trim() && !/^# Warning: '\w+' is deprecated/.test(line));
  if (run.status !== 0) throw new Error(`${kubectl} kustomize ${dir} failed:\n${run.stderr}`);
  if (said.length) console.log(said.join('\n'));
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(run.stdout)) {
    if (doc.errors.length) throw new Error(`${dir}: unreadable output: ${doc.errors[0].message}`);
    const value: unknown = doc.toJS();
    if (value !== null) objects.push(value as K8sObject);
  }
  return objects;
}

/** k8s/grafana renders to one ConfigMap the Grafana sidecar loads, holding the dashboard file unchanged. */
function grafanaProblems(): Problem[] {
  const where = 'k8s/grafana';
  let objects: K8sObject[];
  try {
    objects = render(join(root, where));
  } catch (e) {
    return [{ where: 'kustomize', message: e instanceof Error ? e.message : String(e) }];
  }
  const file = 'event-cache-dashboard.json';
  const [map, ...rest] = objects as (K8sObject & {
    metadata: { labels?: Record<string, string> };
    data?: Record<string, string>;
  })[];
  const problems: string[] = [];
  if (map?.kind !== 'ConfigMap' || rest.length > 0) problems.push('expected exactly one ConfigMap');
  else {
    if (map.metadata.labels?.grafana_dashboard !== '1')
      problems.push('label grafana_dashboard: "1" is missing');
    if (map.data?.[file] !== readFileSync(join(root, where, file), 'utf8'))
      problems.push(`data.${file} differs from ${where}/${file}`);
  }
  return problems.map((message) => ({ where, message }));
}

function main(): void {
  const version = spawnSync(kubectl, ['version', '--client'], { encoding: 'utf8' });
  console.log(`kubectl: ${(version.stdout || version.stderr || '').split('\n')[0] || kubectl}`);
  const targets = [
    'k8s/base',
    ...readdirSync(join(root, 'k8s', 'overlays')).map((o) => `k8s/overlays/${o}`),
  ].filter((dir) => existsSync(join(root, dir, 'kustomization.yaml')));
  let failed = 0;
  const rendered = new Map<string, Rendered>();
  const configs = new Map<string, AppConfig>();
  const report = (target: string, problems: Problem[], summary: string): void => {
    if (!problems.length) {
      console.log(`ok    ${target}: ${summary}`);
      return;
    }
    failed += problems.length;
    console.log(`FAIL  ${target}:`);
    for (const p of problems) console.log(`        ${p.where}: ${p.message.replace(/\n/g, '\n          ')}`);
  };

  for (const target of targets) {
    let objects: K8sObject[];
    try {
      objects = render(join(root, target));
    } catch (e) {
      report(target, [{ where: 'kustomize', message: e instanceof Error ? e.message : String(e) }], '');
      continue;
    }
    const schema = schemaProblems(objects);
    if (schema.length) {
      report(target, schema, '');
      continue;
    }
    const r = new Rendered(objects);
    rendered.set(target, r);
    const { problems, config } = renderingProblems(r);
    if (config) configs.set(target, config);
    report(
      target,
      problems,
      `${objects.length} objects (${[...new Set(objects.map((o) => o.kind))].join(', ')}) valid`,
    );
  }

  const prod = rendered.get('k8s/overlays/prod');
  const nonprod = rendered.get('k8s/overlays/nonprod');
  if (prod && nonprod) {
    report(
      'overlays',
      overlayProblems(prod, nonprod, {
        prod: configs.get('k8s/overlays/prod'),
        nonprod: configs.get('k8s/overlays/nonprod'),
      }),
      'nonprod runs fewer replicas and polls less often than prod',
    );
  } else if (!failed) {
    report('overlays', [{ where: 'k8s/overlays', message: 'expected prod and nonprod' }], '');
  }

  report(
    'k8s/grafana',
    grafanaProblems(),
    'the dashboard ConfigMap carries event-cache-dashboard.json as is',
  );

  if (failed) {
    console.log(`\ntest:k8s: ${failed} problem(s)`);
    process.exit(1);
  }
  console.log(`\ntest:k8s: ${targets.length} renderings valid`);
}

main();
