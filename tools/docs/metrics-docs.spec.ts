import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parse as parseYaml } from 'yaml';

/**
 * docs/metrics.md, docs/prometheus-rules.yaml and the Grafana dashboard against the code: every
 * `event_cache_*` metric registered in apps/ and libs/ is documented with its type, labels and
 * service, nothing else is, and every alert and dashboard query uses only metrics (and labels) that
 * exist.
 */

const ROOT = join(__dirname, '..', '..');
const METRICS_DOC = join(ROOT, 'docs', 'metrics.md');
const RULES_FILE = join(ROOT, 'docs', 'prometheus-rules.yaml');
const DASHBOARD_FILE = join(ROOT, 'k8s', 'grafana', 'event-cache-dashboard.json');
const PREFIX = 'event_cache_';
const ALL_SERVICES = ['caching-agents', 'clouddriver-forwarder', 'event-scheduler', 'gate-endpoint'];

type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

interface Registration {
  name: string;
  type: MetricType;
  labels: string[];
  file: string;
}

/** The one place allowed to build a metric name at run time: MetricsService adds the prefix. */
const PREFIXING_WRAPPER = 'libs/platform/src/metrics/metrics.service.ts';

/**
 * Which service exposes a metric registered in a file. Libs register into the registry of the
 * service that uses them: the agent SDK's and the AWS agents' metrics are bound only by caching-agents
 * (`AGENT_METRICS` in its store binding, `bindMetrics` of its AWS clients); the platform's are in
 * every service.
 */
function servicesOf(file: string): string[] {
  const app = /^apps\/([^/]+)\//.exec(file);
  if (app) return [app[1]];
  if (file.startsWith('libs/agents/') || file.startsWith('libs/aws-agents/')) return ['caching-agents'];
  if (file.startsWith('libs/platform/')) return ALL_SERVICES;
  throw new Error(`${file}: registers metrics, but servicesOf() does not know which service exposes them`);
}

function isSourceFile(path: string): boolean {
  return path.endsWith('.ts') && !/\.(spec|int-spec|e2e-spec)\.ts$/.test(path) && !path.endsWith('.d.ts');
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      // apps/<app>/test holds e2e support code, not the services.
      return ['node_modules', 'test', 'dist'].includes(entry.name) ? [] : sourceFiles(path);
    }
    return isSourceFile(path) ? [path] : [];
  });
}

/** The object literal starting at `open` (a `{`), braces balanced; strings are not special-cased. */
function objectLiteralAt(text: string, open: number): string {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(open, i + 1);
  }
  return text.slice(open);
}

function stringList(literal: string): string[] {
  return [...literal.matchAll(/(['"`])([^'"`]*)\1/g)].map((m) => m[2]);
}

/**
 * Metric registrations in one source file: `<registry>.counter|gauge|histogram({ name: 'x', ... })`
 * (MetricsService and the agent SDK's MetricsRegistry: `event_cache_` is added to `x`) and
 * prom-client's `new Counter|Gauge|Histogram|Summary({ name: 'event_cache_x', ... })`.
 * A registration whose name or labels are not literals is a problem: it could not be checked.
 */
function registrationsIn(text: string, file: string): { found: Registration[]; problems: string[] } {
  const found: Registration[] = [];
  const problems: string[] = [];
  const calls = [
    ...[...text.matchAll(/\.(counter|gauge|histogram|summary)(?:<[^>()]*>)?\(\s*\{/g)].map((m) => ({
      m,
      type: m[1] as MetricType,
      prefixed: false,
    })),
    ...[...text.matchAll(/\bnew\s+(Counter|Gauge|Histogram|Summary)(?:<[^>()]*>)?\(\s*\{/g)].map((m) => ({
      m,
      type: m[1].toLowerCase() as MetricType,
      prefixed: true,
    })),
  ];
  for (const { m, type, prefixed } of calls) {
    const line = text.slice(0, m.index).split('\n').length;
    const body = objectLiteralAt(text, m.index + m[0].length - 1);
    const name = /\bname:\s*(['"`])([^'"`]+)\1/.exec(body)?.[2];
    if (name === undefined) {
      if (!(prefixed && file === PREFIXING_WRAPPER))
        problems.push(`${file}:${line}: metric name is not a literal`);
      continue;
    }
    const fullName = prefixed ? name : PREFIX + name;
    if (!fullName.startsWith(PREFIX)) continue; // some other registry's metric
    const labelsAt = body.search(/\blabelNames:/);
    let labels: string[] = [];
    if (labelsAt >= 0) {
      const list = /^labelNames:\s*\[([^\]]*)\]/.exec(body.slice(labelsAt));
      if (!list) {
        problems.push(`${file}:${line}: labelNames of ${fullName} is not a literal array`);
        continue;
      }
      labels = stringList(list[1]);
    }
    found.push({ name: fullName, type, labels: [...labels].sort(), file });
  }
  return { found, problems };
}

interface DocRow {
  name: string;
  type: MetricType;
  labels: string[];
  services: string[];
}

/** Rows of the reference table: | `name` | type | `label`, ... | service, ... | meaning | */
function docRows(markdown: string): DocRow[] {
  return [...markdown.matchAll(/^\|\s*`(event_cache_[a-z0-9_]+)`\s*\|([^|]*)\|([^|]*)\|([^|]*)\|/gm)].map(
    (m) => {
      const services = m[4].trim() === 'all four' ? ALL_SERVICES : m[4].split(',').map((s) => s.trim());
      return {
        name: m[1],
        type: m[2].trim() as MetricType,
        labels: [...m[3].matchAll(/`([^`]+)`/g)].map((l) => l[1]).sort(),
        services: [...services].sort(),
      };
    },
  );
}

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'offset',
  'bool',
  'inf',
  'nan',
]);

/** Metric names a PromQL expression selects: identifiers that are not functions, keywords or labels. */
function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ') // strings (label values)
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' '); // label lists
  const names = [...bare.matchAll(/(?<![\w.:])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()/g)].map((m) => m[1]);
  return [...new Set(names.filter((n) => !PROMQL_WORDS.has(n.toLowerCase())))];
}

/** Series names a metric produces: histograms and summaries add suffixes, and are only used with them. */
function seriesNames(name: string, type: string): string[] {
  if (type === 'histogram') return [`${name}_bucket`, `${name}_sum`, `${name}_count`];
  if (type === 'summary') return [name, `${name}_sum`, `${name}_count`];
  return [name];
}

function defaultMetrics(): Map<string, string> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry }); // what MetricsService does in every service
  return new Map(registry.getMetricsAsArray().map((m) => [m.name, String(m.type)]));
}

const rel = (path: string) => relative(ROOT, path).split(sep).join('/');

function codeRegistrations(): { found: Registration[]; problems: string[] } {
  const all = { found: [] as Registration[], problems: [] as string[] };
  for (const path of [...sourceFiles(join(ROOT, 'apps')), ...sourceFiles(join(ROOT, 'libs'))]) {
    const { found, problems } = registrationsIn(readFileSync(path, 'utf8'), rel(path));
    all.found.push(...found);
    all.problems.push(...problems);
  }
  return all;
}

const rowKey = (r: { name: string; type: string; labels: string[] }) =>
  `${r.name} ${r.type} {${r.labels.join(',')}}`;

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string };
}

/** The rules file's shape, as Prometheus loads it; throws with the path of the first problem. */
function alertRules(file: unknown): AlertRule[] {
  const fail = (where: string, what: string): never => {
    throw new Error(`prometheus-rules.yaml ${where}: ${what}`);
  };
  const groups = (file as { groups?: unknown })?.groups;
  if (!Array.isArray(groups) || groups.length === 0) fail('groups', 'a non-empty list is required');
  const rules: AlertRule[] = [];
  for (const [g, group] of (groups as unknown[]).entries()) {
    const { name, rules: list } = (group ?? {}) as { name?: unknown; rules?: unknown };
    if (typeof name !== 'string' || !name) fail(`groups[${g}].name`, 'a name is required');
    if (!Array.isArray(list) || list.length === 0) fail(`groups[${g}].rules`, 'a non-empty list is required');
    for (const [r, rule] of (list as unknown[]).entries()) {
      const at = `groups[${g}].rules[${r}]`;
      const { alert, expr, labels, annotations } = (rule ?? {}) as Record<string, unknown>;
      if (typeof alert !== 'string' || !/^[A-Za-z][A-Za-z0-9]*$/.test(alert)) fail(at, 'alert name');
      if (typeof expr !== 'string' || !expr.trim()) fail(at, 'expr');
      const severity = (labels as { severity?: unknown } | undefined)?.severity;
      if (typeof severity !== 'string' || !['critical', 'warning', 'info'].includes(severity))
        fail(at, 'labels.severity must be critical, warning or info');
      if (typeof (annotations as { summary?: unknown } | undefined)?.summary !== 'string')
        fail(at, 'annotations.summary');
      rules.push(rule as AlertRule);
    }
  }
  return rules;
}

/** PromQL brackets must balance (a cheap syntax check; promtool does the real one). */
function unbalanced(expr: string): boolean {
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const stack: string[] = [];
  for (const ch of expr.replace(/"(?:[^"\\]|\\.)*"/g, '""')) {
    if ('([{'.includes(ch)) stack.push(ch);
    else if (ch in pairs && stack.pop() !== pairs[ch]) return true;
  }
  return stack.length > 0;
}

describe('docs/metrics.md and docs/prometheus-rules.yaml', () => {
  const code = codeRegistrations();
  const doc = readFileSync(METRICS_DOC, 'utf8');
  const rows = docRows(doc);
  const defaults = defaultMetrics();
  const rulesText = readFileSync(RULES_FILE, 'utf8');

  // Series names that exist: ours, prom-client's defaults, and Prometheus's own `up`.
  const codeTypes = new Map(code.found.map((r) => [r.name, r.type]));
  const known = new Set<string>(['up']);
  for (const [name, type] of [...codeTypes, ...defaults])
    seriesNames(name, type).forEach((s) => known.add(s));

  it('finds the registrations in the code, every one with a literal name and labels', () => {
    expect(code.problems).toEqual([]);
    // The scan itself works: it sees metrics of every service.
    expect(code.found.length).toBeGreaterThan(25);
    for (const service of ALL_SERVICES) {
      expect(code.found.some((r) => servicesOf(r.file).includes(service))).toBe(true);
    }
    expect(defaults.has('process_resident_memory_bytes')).toBe(true);
  });

  const expectedServices = new Map<string, Set<string>>();
  for (const r of code.found) {
    const services = expectedServices.get(rowKey(r)) ?? new Set<string>();
    servicesOf(r.file).forEach((s) => services.add(s));
    expectedServices.set(rowKey(r), services);
  }
  const documented = new Map(rows.map((r) => [rowKey(r), r.services.join(', ')]));

  it('documents every registered metric with its type and labels', () => {
    expect([...expectedServices.keys()].filter((key) => !documented.has(key))).toEqual([]);
  });

  it('names the services that expose each metric', () => {
    const wrong = [...expectedServices]
      .map(([key, services]) => ({ key, code: [...services].sort().join(', '), doc: documented.get(key) }))
      .filter((e) => e.doc !== undefined && e.doc !== e.code);
    expect(wrong).toEqual([]);
  });

  it('documents no metric or label set the code does not register, and each once', () => {
    expect(rows.map(rowKey).filter((key) => !expectedServices.has(key))).toEqual([]);
    expect(rows.map(rowKey).filter((key, i, all) => all.indexOf(key) !== i)).toEqual([]);
  });

  it('mentions only metrics that exist, in the prose and examples too', () => {
    const mentioned = new Set(
      [...doc.matchAll(/\b(?:event_cache|process|nodejs)_[a-z0-9_]*[a-z0-9]\b/g)].map((m) => m[0]),
    );
    expect(
      [...mentioned].filter((name) => !known.has(name) && !codeTypes.has(name) && !defaults.has(name)),
    ).toEqual([]);
  });

  it('is a rules file Prometheus loads: groups of uniquely named alerts with a severity and a summary', () => {
    const rules = alertRules(parseYaml(rulesText));
    expect(rules.length).toBeGreaterThan(10);
    const names = rules.map((r) => r.alert);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    expect(rules.filter((r) => unbalanced(r.expr)).map((r) => r.alert)).toEqual([]);
  });

  it('alerts only on metrics that exist (histograms through their _bucket/_sum/_count series)', () => {
    const unknown = alertRules(parseYaml(rulesText)).flatMap((r) =>
      metricNamesIn(r.expr)
        .filter((name) => !known.has(name))
        .map((name) => `${r.alert}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });

  it('scopes every alert to this product', () => {
    // An event_cache_* series, or a generic one (up, process_*, nodejs_*) selected by our pod label.
    const unscoped = alertRules(parseYaml(rulesText)).filter(
      (r) => !/\bevent_cache_/.test(r.expr) && !r.expr.includes('app_kubernetes_io_part_of="event-cache"'),
    );
    expect(unscoped.map((r) => r.alert)).toEqual([]);
  });

  it('shows the same rules on the page as in the file', () => {
    const block = /```yaml\n(# Suggested alerts[\s\S]*?)```/.exec(doc)?.[1];
    expect(block).toBe(rulesText);
  });
});

interface DashboardPanel {
  id?: number;
  type?: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  gridPos?: { x: number; y: number; w: number; h: number };
  targets?: { refId?: string; expr?: string; datasource?: { uid?: string } }[];
}

/** Label names a PromQL expression matches on, per metric: `name{a="x", b=~"y"}` -> name: [a, b]. */
function selectorLabels(expr: string): [string, string[]][] {
  return [...expr.matchAll(/([a-zA-Z_:][\w:]*)\{([^}]*)\}/g)].map((m) => [
    m[1],
    [...m[2].matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]),
  ]);
}

// Labels Prometheus adds to every scraped series.
const TARGET_LABELS = ['job', 'instance', 'namespace', 'pod', 'container', 'service'];
const DATASOURCE = '${datasource}';

describe('the Grafana dashboard (k8s/grafana/event-cache-dashboard.json)', () => {
  const code = codeRegistrations();
  const labelsOf = new Map<string, Set<string>>();
  for (const r of code.found) {
    for (const series of seriesNames(r.name, r.type)) {
      const labels = labelsOf.get(series) ?? new Set(TARGET_LABELS);
      r.labels.forEach((l) => labels.add(l));
      if (series.endsWith('_bucket') && r.type === 'histogram') labels.add('le');
      labelsOf.set(series, labels);
    }
  }
  const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as {
    uid?: string;
    title?: string;
    schemaVersion?: number;
    templating?: { list?: { name: string; type: string; query?: unknown; datasource?: { uid?: string } }[] };
    panels?: DashboardPanel[];
  };
  const panels = (dashboard.panels ?? []).filter((p) => p.type !== 'row');
  const queries = panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr ?? '' })),
  );

  it('has the shape Grafana imports: uid, title, schemaVersion, panels with ids and grid positions', () => {
    expect(dashboard).toMatchObject({ uid: 'event-cache', title: expect.any(String) as string });
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(panels.length).toBeGreaterThan(20);
    const ids = (dashboard.panels ?? []).map((p) => p.id);
    expect(ids.filter((id, i) => typeof id !== 'number' || ids.indexOf(id) !== i)).toEqual([]);
    const badGrid = (dashboard.panels ?? []).filter(
      ({ gridPos: g }) => !g || g.w < 1 || g.h < 1 || g.x < 0 || g.y < 0 || g.x + g.w > 24,
    );
    expect(badGrid.map((p) => p.title)).toEqual([]);
  });

  it('lets the operator pick the Prometheus data source, the accounts and the regions', () => {
    const variables = new Map((dashboard.templating?.list ?? []).map((v) => [v.name, v]));
    expect(variables.get('datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const name of ['account', 'region']) {
      expect(variables.get(name)).toMatchObject({ type: 'query', datasource: { uid: DATASOURCE } });
    }
  });

  it('queries the chosen data source in every panel, each with at least one PromQL target', () => {
    const wrong = panels.filter(
      (p) =>
        p.datasource?.uid !== DATASOURCE ||
        !p.targets?.length ||
        p.targets.some((t) => !t.refId || !t.expr || t.datasource?.uid !== DATASOURCE),
    );
    expect(wrong.map((p) => p.title)).toEqual([]);
    expect(queries.filter((q) => unbalanced(q.expr))).toEqual([]);
  });

  it('queries only metrics that exist (histograms through _bucket/_sum/_count), with labels they have', () => {
    const unknownMetrics = queries.flatMap((q) =>
      metricNamesIn(q.expr)
        .filter((name) => !labelsOf.has(name))
        .map((name) => `${q.panel}: ${name}`),
    );
    expect(unknownMetrics).toEqual([]);
    const unknownLabels = queries.flatMap((q) =>
      selectorLabels(q.expr).flatMap(([name, labels]) =>
        labels.filter((l) => labelsOf.get(name)?.has(l) === false).map((l) => `${q.panel}: ${name}{${l}}`),
      ),
    );
    expect(unknownLabels).toEqual([]);
  });

  it('shows what operators look for: intake, decisions, refreshes, AWS calls, agents, pipeline health, Clouddriver', () => {
    const used = new Set(queries.flatMap((q) => metricNamesIn(q.expr)));
    for (const name of [
      'event_cache_events_received_total',
      'event_cache_event_decision_latency_seconds_bucket',
      'event_cache_refresh_requests',
      'event_cache_refresh_oldest_pending_age_seconds',
      'event_cache_refresh_batch_duration_seconds_bucket',
      'event_cache_aws_requests_total',
      'event_cache_agent_run_duration_seconds_bucket',
      'event_cache_agent_interval_seconds',
      'event_cache_pipeline_healthy',
      'event_cache_clouddriver_instances_ready',
    ]) {
      expect({ name, used: used.has(name) }).toEqual({ name, used: true });
    }
  });
});

describe('the checks themselves', () => {
  it('read names, types and labels, and refuse what they cannot check', () => {
    const source = [
      "metrics.counter({ name: 'a_total', help: 'x', labelNames: ['b', 'a'] });",
      "registry.histogram<'k'>({ name: 'h_seconds', help: 'x', buckets: [1] });",
      "new Gauge({ name: 'event_cache_g', help: 'x', registers: [r] });",
      'metrics.gauge({ name: dynamicName, help: "x" });',
      "metrics.counter({ name: 'c_total', help: 'x', labelNames: LABELS });",
    ].join('\n');
    const { found, problems } = registrationsIn(source, 'apps/x/src/x.ts');
    expect(found.map((r) => [r.name, r.type, r.labels])).toEqual([
      ['event_cache_a_total', 'counter', ['a', 'b']],
      ['event_cache_h_seconds', 'histogram', []],
      ['event_cache_g', 'gauge', []],
    ]);
    expect(problems).toEqual([
      'apps/x/src/x.ts:4: metric name is not a literal',
      'apps/x/src/x.ts:5: labelNames of event_cache_c_total is not a literal array',
    ]);
  });

  it('read the reference table', () => {
    const table = [
      '| `event_cache_x_total` | counter | `b`, `a` | gate-endpoint, event-scheduler | m |',
      '| `event_cache_y` | histogram | | all four | m |',
    ].join('\n');
    expect(docRows(table)).toEqual([
      {
        name: 'event_cache_x_total',
        type: 'counter',
        labels: ['a', 'b'],
        services: ['event-scheduler', 'gate-endpoint'],
      },
      { name: 'event_cache_y', type: 'histogram', labels: [], services: ALL_SERVICES },
    ]);
  });

  it('find the metrics of a PromQL expression, and only those', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le, type) (rate(event_cache_x_bucket{type="a{b}", le!="1"}[5m] offset 1h)))' +
          ' / on (type) group_left (kind) max without (instance) (up) > bool 0 and absent(nope_total) or vector(1e3)',
      ),
    ).toEqual(['event_cache_x_bucket', 'up', 'nope_total']);
    expect(seriesNames('event_cache_h', 'histogram')).not.toContain('event_cache_h');
    expect(seriesNames('event_cache_c_total', 'counter')).not.toContain('event_cache_c_total_bucket');
    expect(unbalanced('sum(rate(x[5m])')).toBe(true);
    expect(unbalanced('sum(rate(x{a="("}[5m]))')).toBe(false);
  });

  it('read the labels a selector matches on', () => {
    expect(selectorLabels('sum by (a) (rate(x_total{a="1", b=~"$b"}[5m])) / y{c!="{"}')).toEqual([
      ['x_total', ['a', 'b']],
      ['y', ['c']],
    ]);
  });

  it('refuse a rules file Prometheus would not load', () => {
    expect(() => alertRules({ groups: [] })).toThrow('groups');
    expect(() =>
      alertRules({
        groups: [{ name: 'g', rules: [{ alert: 'A', expr: 'up', labels: {}, annotations: {} }] }],
      }),
    ).toThrow('labels.severity');
  });
});
