// Keeps docs/aws-setup.md and the JSON documents under docs/aws/ true to the code: the event
// patterns against what libs/events parses and acts on, the IAM policies against the AWS SDK
// commands each service sends (no more, no less), and the names and numbers the documents share
// with the configuration example of the page.
import { readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { roleArn } from '@event-cache/aws-agents';
import {
  type AccountConfig,
  AccountDirectory,
  CONFIG_RESOURCE_TYPES,
  type DecisionContext,
  type Decision,
  decide,
  parseApiDestinationBody,
  supportedCloudTrailCalls,
  supportedEventTypes,
} from '@event-cache/events';
import { configSchema } from '@event-cache/platform';

const ROOT = join(__dirname, '..', '..');
const DOCS = join(ROOT, 'docs');
const AWS_DOCS = join(DOCS, 'aws');
const PAGE = readFileSync(join(DOCS, 'aws-setup.md'), 'utf8');
const EVENT_FIXTURES = join(ROOT, 'libs', 'events', 'src', '__fixtures__', 'eventbridge');

/** EventBridge's default quota for an event pattern, in characters. */
const MAX_PATTERN_CHARS = 2048;

// --- helpers ------------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** Path relative to the repository root, with forward slashes. */
function rel(file: string): string {
  return relative(ROOT, file).split(sep).join('/');
}

function readJson(file: string): Json {
  return JSON.parse(readFileSync(file, 'utf8')) as Json;
}

function doc(path: string): JsonObject {
  const value = readJson(join(AWS_DOCS, path));
  if (!isObject(value)) throw new Error(`docs/aws/${path}: expected a JSON object`);
  return value;
}

function text(value: Json | undefined, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what}: expected a string`);
  return value;
}

function strings(value: Json | undefined): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => {
    if (typeof v !== 'string') throw new Error(`expected strings, got ${JSON.stringify(v)}`);
    return v;
  });
}

/** IAM-style glob (`*`, `?`) to a RegExp. */
function glob(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

function fencedBlocks(markdown: string, language: string): string[] {
  const blocks: string[] = [];
  const fence = /^```(\S*)\n([\s\S]*?)^```$/gm;
  for (let m = fence.exec(markdown); m !== null; m = fence.exec(markdown)) {
    if (m[1] === language) blocks.push(m[2].trim());
  }
  return blocks;
}

interface Statement {
  Effect?: string;
  Action?: Json;
  NotAction?: Json;
  Principal?: Json;
  Resource?: Json;
  Condition?: Json;
}

function statements(policy: JsonObject): Statement[] {
  const list = policy.Statement;
  if (!Array.isArray(list)) throw new Error('Statement must be an array');
  return list.map((s) => {
    if (!isObject(s)) throw new Error('a Statement must be an object');
    return s;
  });
}

const isTrustPolicy = (policy: JsonObject): boolean =>
  statements(policy).some((s) => s.Principal !== undefined);

// --- the configuration example of the page --------------------------------------------------------

type AppConfig = ReturnType<typeof configSchema.parse>;

function pageConfig(): AppConfig {
  const configs = fencedBlocks(PAGE, 'yaml')
    .flatMap((text) => parseAllDocuments(text).map((d) => d.toJS() as unknown))
    .filter((value) => isObject(value) && !('apiVersion' in value));
  if (configs.length !== 1) throw new Error(`expected one configuration example, found ${configs.length}`);
  return configSchema.parse(configs[0]);
}

// Parsed with the services' own schema: an unknown or mistyped key fails the whole file here.
const CONFIG = pageConfig();

function decisionContext(config: AppConfig, extraAccounts: readonly AccountConfig[] = []): DecisionContext {
  // The mapping event-scheduler's decision-context provider makes from the same settings.
  const { heartbeat } = config.events;
  return {
    accounts: new AccountDirectory([...config.accounts, ...extraAccounts]),
    clock: { now: () => Date.now() },
    heartbeat: {
      ...(heartbeat.periodSeconds > 0 ? { periodMs: heartbeat.periodSeconds * 1000 } : {}),
      toleratedMisses: heartbeat.toleratedMisses,
      ...(heartbeat.ruleNames.length > 0 ? { ruleNames: heartbeat.ruleNames } : {}),
    },
  };
}

function parseEvent(event: unknown) {
  const parsed = parseApiDestinationBody(JSON.stringify(event));
  if (!parsed.ok) throw new Error(`sample event rejected: ${parsed.reason} ${parsed.message}`);
  return parsed.value.event;
}

function decideAt(event: unknown, context: DecisionContext): Decision {
  const parsed = parseEvent(event);
  return decide(parsed, { ...context, clock: { now: () => Date.parse(parsed.time) } });
}

// --- a small EventBridge pattern matcher (the subset the documents use) ----------------------------

function matchesPattern(pattern: JsonObject, event: Json | undefined): boolean {
  if (!isObject(event)) return false;
  return Object.entries(pattern).every(([key, rule]) => {
    if (key === '$or') {
      if (!Array.isArray(rule)) throw new Error('$or must be an array of patterns');
      return rule.some((p) => isObject(p) && matchesPattern(p, event));
    }
    const present = Object.prototype.hasOwnProperty.call(event, key);
    if (Array.isArray(rule)) return matchesField(rule, present ? event[key] : undefined, present);
    if (isObject(rule)) return present && matchesPattern(rule, event[key]);
    throw new Error(`pattern field ${key}: expected an array or an object`);
  });
}

function matchesField(rules: Json[], value: Json | undefined, present: boolean): boolean {
  const values = Array.isArray(value) ? value : [value];
  return rules.some((rule) => {
    if (!isObject(rule)) return present && values.some((v) => v === rule);
    const [[operator, argument], ...rest] = Object.entries(rule);
    if (rest.length > 0) throw new Error(`one operator per matcher: ${JSON.stringify(rule)}`);
    switch (operator) {
      case 'exists':
        return argument === present;
      case 'prefix':
        return values.some((v) => typeof v === 'string' && v.startsWith(text(argument, 'prefix')));
      case 'suffix':
        return values.some((v) => typeof v === 'string' && v.endsWith(text(argument, 'suffix')));
      default:
        throw new Error(`matcher "${operator}" is not implemented by this spec: add it here first`);
    }
  });
}

const PATTERN_FILES = readdirSync(join(AWS_DOCS, 'event-patterns')).filter((f) => f.endsWith('.json'));
const PATTERNS = PATTERN_FILES.map((file) => ({ file, pattern: doc(`event-patterns/${file}`) }));

function matchingPatterns(event: unknown): string[] {
  return PATTERNS.filter(({ pattern }) => matchesPattern(pattern, event as Json)).map((p) => p.file);
}

function envelope(source: string, detailType: string, detail: Json, extra: JsonObject = {}): JsonObject {
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': detailType,
    source,
    account: '210987654321',
    time: '2024-05-01T12:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
    ...extra,
  };
}

// --- AWS SDK commands sent by each service --------------------------------------------------------

/** IAM prefix of each AWS SDK client package, and the IAM actions of commands not named alike. */
const SDK_PACKAGES: Record<string, { prefix: string; actions?: Record<string, string[]> }> = {
  '@aws-sdk/client-sqs': {
    prefix: 'sqs',
    // Batch APIs are authorized by the single-message actions.
    actions: {
      DeleteMessageBatch: ['DeleteMessage'],
      ChangeMessageVisibilityBatch: ['ChangeMessageVisibility'],
      SendMessageBatch: ['SendMessage'],
    },
  },
  '@aws-sdk/client-ec2': { prefix: 'ec2' },
  '@aws-sdk/client-auto-scaling': { prefix: 'autoscaling' },
  '@aws-sdk/client-elastic-load-balancing-v2': { prefix: 'elasticloadbalancing' },
  '@aws-sdk/client-cloudwatch': { prefix: 'cloudwatch' },
  '@aws-sdk/client-config-service': { prefix: 'config' },
  // With EKS Pod Identity credentials every AssumeRole carries transitive session tags.
  '@aws-sdk/client-sts': { prefix: 'sts', actions: { AssumeRole: ['AssumeRole', 'TagSession'] } },
};

/** The policies (docs/aws/iam) that grant what each service's code sends. */
const SERVICE_POLICIES: Record<string, string[]> = {
  'event-scheduler': ['event-scheduler-policy.json'],
  'caching-agents': [
    'caching-agents-policy.json',
    'member-account-policy.json',
    'config-recorder-policy.json',
    'config-aggregator-policy.json',
  ],
  'gate-endpoint': [],
  'clouddriver-forwarder': [],
};

const LIB_DIRS: Record<string, string> = Object.fromEntries(
  Object.entries(
    (
      readJson(join(ROOT, 'tsconfig.base.json')) as unknown as {
        compilerOptions: { paths: Record<string, string[]> };
      }
    ).compilerOptions.paths,
  ).map(([alias, [target]]) => [alias, join(ROOT, dirname(target))]),
);

const isProductionSource = (file: string): boolean =>
  file.endsWith('.ts') &&
  !/\.(spec|int-spec|e2e-spec)\.ts$/.test(file) &&
  !file.split(sep).includes('__fixtures__');

/** The production sources of an app and of every workspace lib it imports, transitively. */
function sourcesOf(app: string): string[] {
  const dirs = [join(ROOT, 'apps', app, 'src')];
  const files = new Set<string>();
  for (let i = 0; i < dirs.length; i++) {
    for (const file of walk(dirs[i]).filter(isProductionSource)) {
      files.add(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s+'(@event-cache\/[\w-]+)'/g)) {
        const dir = LIB_DIRS[m[1]];
        if (dir === undefined) throw new Error(`${rel(file)}: unknown workspace alias ${m[1]}`);
        if (!dirs.includes(dir)) dirs.push(dir);
      }
    }
  }
  return [...files];
}

/** `service:Action` for every `new XxxCommand(` in the files, by the SDK package it comes from. */
function iamActionsSent(files: readonly string[]): Map<string, string[]> {
  const sent = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const origin = new Map<string, string>();
    const namespaceImport = /import\s+\*\s+as\s+\w+\s+from\s+'(@aws-sdk\/[\w-]+)'/.exec(text);
    if (namespaceImport) {
      throw new Error(`${rel(file)}: namespace import of ${namespaceImport[1]}: import commands by name`);
    }
    for (const m of text.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s*from\s*'(@aws-sdk\/[\w-]+)'/g)) {
      const pkg = m[2];
      if (pkg.startsWith('@aws-sdk/client-') && SDK_PACKAGES[pkg] === undefined) {
        throw new Error(`${rel(file)} uses ${pkg}: map it to its IAM prefix in SDK_PACKAGES`);
      }
      for (const spec of m[1].split(',')) {
        const [name, alias] = spec
          .replace(/^\s*type\s+/, '')
          .trim()
          .split(/\s+as\s+/);
        if (!name) continue;
        if (/^(paginate|waitFor|waitUntil)/.test(name)) {
          throw new Error(`${rel(file)}: ${name} sends commands this scan cannot see; extend the spec`);
        }
        origin.set(alias ?? name, `${pkg}|${name}`);
      }
    }
    for (const m of text.matchAll(/\bnew\s+([A-Z]\w*Command)\s*\(/g)) {
      const found = origin.get(m[1]);
      if (found === undefined)
        throw new Error(`${rel(file)}: ${m[1]} is not imported from an AWS SDK client`);
      const [pkg, command] = found.split('|');
      const sdk = SDK_PACKAGES[pkg];
      if (sdk === undefined) throw new Error(`${rel(file)}: ${command} comes from unmapped package ${pkg}`);
      const operation = command.replace(/Command$/, '');
      const actions = (sdk.actions?.[operation] ?? [operation]).map((a) => `${sdk.prefix}:${a}`);
      for (const action of actions) sent.set(action, [...(sent.get(action) ?? []), rel(file)]);
    }
  }
  return sent;
}

function allowedActions(policyFiles: readonly string[]): Set<string> {
  const allowed = new Set<string>();
  for (const file of policyFiles) {
    for (const s of statements(doc(`iam/${file}`))) {
      if (s.Effect !== 'Allow') throw new Error(`iam/${file}: only Allow statements are expected`);
      if (s.NotAction !== undefined) throw new Error(`iam/${file}: NotAction grants too much`);
      for (const action of strings(s.Action)) {
        if (action.includes('*')) throw new Error(`iam/${file}: wildcard action ${action}`);
        allowed.add(action);
      }
    }
  }
  return allowed;
}

// --- tests ----------------------------------------------------------------------------------------

describe('docs/aws', () => {
  const files = walk(AWS_DOCS);

  it('holds JSON documents only, each parsing, with no <placeholder> inside', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      expect(rel(file)).toMatch(/\.json$/);
      const text = readFileSync(file, 'utf8');
      expect(() => JSON.parse(text) as unknown).not.toThrow();
      expect({ file: rel(file), placeholders: text.match(/<[^>\n]*>/g) ?? [] }).toEqual({
        file: rel(file),
        placeholders: [],
      });
    }
  });

  it('are shown verbatim in docs/aws-setup.md, each named by its path', () => {
    const blocks = fencedBlocks(PAGE, 'json');
    const contents = new Map(files.map((f) => [rel(f), readFileSync(f, 'utf8').trim()]));
    for (const [path, text] of contents) {
      expect({ path, named: PAGE.includes(path), shown: blocks.includes(text) }).toEqual({
        path,
        named: true,
        shown: true,
      });
    }
    const unknown = blocks.filter((b) => ![...contents.values()].includes(b));
    expect(unknown).toEqual([]);
  });
});

describe('event patterns', () => {
  const selected = (source: string, detailType: string) =>
    PATTERNS.filter(
      ({ pattern }) =>
        strings(pattern.source).includes(source) && strings(pattern['detail-type']).includes(detailType),
    );

  it(`stay under ${MAX_PATTERN_CHARS} characters, minified`, () => {
    for (const { file, pattern } of PATTERNS) {
      expect({ file, tooLong: JSON.stringify(pattern).length > MAX_PATTERN_CHARS }).toEqual({
        file,
        tooLong: false,
      });
    }
  });

  it('select every source / detail-type the parser gives a typed detail', () => {
    const missing = supportedEventTypes().filter(([source, type]) => selected(source, type).length === 0);
    expect(missing).toEqual([]);
  });

  it('select nothing the parser does not support', () => {
    const supported = new Set(supportedEventTypes().map(([s, t]) => `${s} / ${t}`));
    const extra = PATTERNS.flatMap(({ file, pattern }) =>
      strings(pattern.source).flatMap((s) =>
        strings(pattern['detail-type'])
          .map((t) => `${s} / ${t}`)
          .filter((pair) => !supported.has(pair))
          .map((pair) => `${file}: ${pair}`),
      ),
    );
    expect(extra).toEqual([]);
  });

  describe('CloudTrail', () => {
    const calls = supportedCloudTrailCalls().map((call) => {
      const [source, eventName] = call.split(':');
      return { call, source, eventName };
    });
    const event = (source: string, eventName: string, extra: JsonObject = {}) =>
      envelope(source, 'AWS API Call via CloudTrail', {
        eventSource: `${source.replace(/^aws\./, '')}.amazonaws.com`,
        eventName,
        ...extra,
      });

    it('select every write call the decision logic acts on', () => {
      expect(calls.length).toBeGreaterThan(0);
      const missing = calls.filter((c) => matchingPatterns(event(c.source, c.eventName)).length === 0);
      expect(missing.map((c) => c.call)).toEqual([]);
    });

    it('name no call the decision logic ignores', () => {
      const supported = new Set(calls.map((c) => c.call));
      const extra = PATTERNS.flatMap(({ file, pattern }) => {
        const detail = pattern.detail;
        if (!isObject(detail) || detail.eventName === undefined) return [];
        return strings(pattern.source).flatMap((source) =>
          strings(detail.eventName)
            .filter((name) => !supported.has(`${source}:${name}`))
            .map((name) => `${file}: ${source}:${name}`),
        );
      });
      expect(extra).toEqual([]);
    });

    it('leave out failed calls, which changed nothing', () => {
      const failed = calls.filter(
        (c) => matchingPatterns(event(c.source, c.eventName, { errorCode: 'AccessDenied' })).length > 0,
      );
      expect(failed.map((c) => c.call)).toEqual([]);
    });
  });

  describe('AWS Config', () => {
    const item = (resourceType: string) => ({ resourceType, resourceId: 'x' });
    const full = (resourceType: string) =>
      envelope('aws.config', 'Config Configuration Item Change', {
        messageType: 'ConfigurationItemChangeNotification',
        configurationItem: item(resourceType),
      });
    const oversized = (resourceType: string) =>
      envelope('aws.config', 'Config Configuration Item Change', {
        messageType: 'OversizedConfigurationItemChangeNotification',
        configurationItemSummary: item(resourceType),
      });

    it('select changes of every cached resource type, full and oversized', () => {
      const missing = CONFIG_RESOURCE_TYPES.flatMap((type) => [
        ...(matchingPatterns(full(type)).length === 0 ? [`full ${type}`] : []),
        ...(matchingPatterns(oversized(type)).length === 0 ? [`oversized ${type}`] : []),
      ]);
      expect(missing).toEqual([]);
    });

    it('name no resource type that is not cached', () => {
      const listed = PATTERNS.flatMap(({ pattern }) => {
        const found: string[] = [];
        const visit = (node: Json) => {
          if (Array.isArray(node)) node.forEach(visit);
          else if (isObject(node))
            for (const [k, v] of Object.entries(node)) {
              if (k === 'resourceType') found.push(...strings(v));
              else visit(v);
            }
        };
        visit(pattern);
        return found;
      });
      expect(listed.length).toBeGreaterThan(0);
      expect(listed.filter((t) => !(CONFIG_RESOURCE_TYPES as readonly string[]).includes(t))).toEqual([]);
      expect(matchingPatterns(full('AWS::S3::Bucket'))).toEqual([]);
    });
  });

  it('select exactly the AWS Health services the decision logic acts on', () => {
    const issue = readJson(join(EVENT_FIXTURES, 'health-ec2-operational-issue.json')) as JsonObject;
    const withService = (service: string) => ({
      ...issue,
      account: '210987654321',
      detail: { ...(issue.detail as JsonObject), service },
    });
    const listed = PATTERNS.flatMap(({ pattern }) =>
      strings(pattern.source).includes('aws.health') && isObject(pattern.detail)
        ? strings(pattern.detail.service)
        : [],
    );
    expect(listed.length).toBeGreaterThan(0);
    const context = decisionContext(CONFIG);
    // libs/events exports no list of the services it acts on: try the plausible ones.
    const candidates = [
      'EC2',
      'AUTOSCALING',
      'ELASTICLOADBALANCING',
      'ELB',
      'EBS',
      'VPC',
      'RDS',
      'S3',
      'LAMBDA',
    ];
    for (const service of new Set([...listed, ...candidates])) {
      const decision = decideAt(withService(service), context);
      const actedOn = !(decision.kind === 'ignore' && decision.reason === 'unsupported_event');
      const selected = matchingPatterns(withService(service)).length > 0;
      expect({ service, actedOn, selected }).toEqual({ service, actedOn: selected, selected });
    }
  });

  it('select every libs/events fixture the decision logic acts on, and none it ignores as unsupported', () => {
    // The fixtures' account, in any region.
    const context = decisionContext(CONFIG, [{ name: 'fixtures', accountId: '123456789012' }]);
    const fixtures = readdirSync(EVENT_FIXTURES).filter((f) => f.endsWith('.json'));
    expect(fixtures.length).toBeGreaterThan(10);
    for (const fixture of fixtures) {
      const event = readJson(join(EVENT_FIXTURES, fixture));
      const decision = decideAt(event, context);
      const selected = matchingPatterns(event);
      if (decision.kind !== 'ignore') {
        expect({ fixture, decision: decision.kind, selected: selected.length > 0 }).toEqual({
          fixture,
          decision: decision.kind,
          selected: true,
        });
      } else if (decision.reason === 'unsupported_event' || decision.reason === 'no_change') {
        expect({ fixture, ignored: decision.reason, selected }).toEqual({
          fixture,
          ignored: decision.reason,
          selected: [],
        });
      }
    }
  });
});

describe('the heartbeat', () => {
  const rule = doc('eventbridge/heartbeat-rule.json');
  const [account] = CONFIG.accounts;
  const region = account.regions[0].name;
  const beat = envelope(
    'aws.events',
    'Scheduled Event',
    {},
    {
      account: account.accountId,
      region,
      resources: [`arn:aws:events:${region}:${account.accountId}:rule/${text(rule.Name, 'Name')}`],
    },
  );

  it('fires at events.heartbeat.periodSeconds', () => {
    const m = /^rate\((\d+) (minutes?|hours?|days?)\)$/.exec(
      text(rule.ScheduleExpression, 'ScheduleExpression'),
    );
    expect(m).not.toBeNull();
    const unit = { minute: 60, hour: 3600, day: 86400 }[m![2].replace(/s$/, '') as 'minute'];
    expect(Number(m![1]) * unit).toBe(CONFIG.events.heartbeat.periodSeconds);
  });

  it('is matched on the central bus and counted as a heartbeat of its account/region', () => {
    expect(matchingPatterns(beat)).toEqual(['heartbeat.json']);
    const decision = decideAt(beat, decisionContext(CONFIG));
    const { periodSeconds, toleratedMisses } = CONFIG.events.heartbeat;
    expect(decision).toEqual({
      kind: 'heartbeat',
      eventId: beat.id,
      pipelines: [{ account: account.name, region }],
      healthyUntil: Date.parse(text(beat.time, 'time')) + periodSeconds * (toleratedMisses + 1) * 1000,
    });
  });

  it('of a rule not in events.heartbeat.ruleNames is neither forwarded nor counted', () => {
    const other = { ...beat, resources: [`arn:aws:events:${region}:${account.accountId}:rule/nightly-job`] };
    expect(matchingPatterns(other)).toEqual([]);
    expect(decideAt(other, decisionContext(CONFIG))).toMatchObject({ kind: 'ignore' });
  });
});

describe('IAM policies', () => {
  const apps = readdirSync(join(ROOT, 'apps'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);

  it('are listed for every service', () => {
    expect(apps.sort()).toEqual(Object.keys(SERVICE_POLICIES).sort());
  });

  it.each(Object.entries(SERVICE_POLICIES))(
    '%s: allow every AWS action its code sends, and nothing else',
    (app, policies) => {
      const sent = iamActionsSent(sourcesOf(app));
      const allowed = allowedActions(policies);
      expect({ app, missing: [...sent.keys()].filter((a) => !allowed.has(a)).sort() }).toEqual({
        app,
        missing: [],
      });
      expect({ app, unused: [...allowed].filter((a) => !sent.has(a)).sort() }).toEqual({ app, unused: [] });
    },
  );

  it('scan finds the commands the services are known to send', () => {
    expect([...iamActionsSent(sourcesOf('event-scheduler')).keys()]).toContain('sqs:ReceiveMessage');
    expect([...iamActionsSent(sourcesOf('caching-agents')).keys()]).toContain('ec2:DescribeInstances');
  });

  it('are each either a trust policy or granted to a service', () => {
    const granted = new Set(Object.values(SERVICE_POLICIES).flat());
    const orphans = readdirSync(join(AWS_DOCS, 'iam'))
      .filter((f) => !isTrustPolicy(doc(`iam/${f}`)))
      .filter((f) => !granted.has(f));
    expect(orphans).toEqual([]);
  });

  it("let caching-agents assume every configured account's role, which trusts it back", () => {
    const resources = statements(doc('iam/caching-agents-policy.json')).flatMap((s) => strings(s.Resource));
    for (const { accountId, assumeRole } of CONFIG.accounts) {
      expect(assumeRole).toBeDefined();
      const arn = roleArn(assumeRole!, accountId);
      expect({ arn, allowed: resources.some((r) => glob(r).test(arn)) }).toEqual({ arn, allowed: true });
    }
    const trusted = statements(doc('iam/member-account-trust-policy.json')).flatMap((s) =>
      isObject(s.Principal) ? strings(s.Principal.AWS) : [],
    );
    const annotated = [...PAGE.matchAll(/eks\.amazonaws\.com\/role-arn: (\S+)/g)].map((m) => m[1]);
    const cachingAgentsRole = annotated.find((arn) => arn.endsWith('/spinnaker-event-cache-caching-agents'));
    expect(trusted).toEqual([cachingAgentsRole]);
  });

  it('trust exactly the Kubernetes ServiceAccounts of the two services that call AWS', () => {
    const subjects = (file: string) =>
      JSON.stringify(doc(`iam/${file}`)).match(/system:serviceaccount:[\w-]+:[\w-]+|"event-cache-[\w-]+"/g);
    for (const sa of ['event-scheduler', 'caching-agents']) {
      expect(subjects(`irsa-trust-policy-${sa}.json`)).toEqual([
        `system:serviceaccount:spinnaker:event-cache-${sa}`,
      ]);
      expect(subjects(`pod-identity-trust-policy-${sa}.json`)).toEqual([`"event-cache-${sa}"`]);
    }
  });
});

describe('queue, topic and API destination', () => {
  const queue = doc('sqs/queue-attributes.json');
  const dlq = doc('sqs/dlq-attributes.json');
  const queueUrl = new URL(CONFIG.sqs.queueUrl!);
  const [, queueAccount, queueName] = queueUrl.pathname.split('/');
  const queueRegion = queueUrl.hostname.split('.')[1];
  const queueArn = `arn:aws:sqs:${queueRegion}:${queueAccount}:${queueName}`;

  it('match the consumer settings (visibility, long polling) and redrive to an encrypted DLQ', () => {
    expect(Number(queue.VisibilityTimeout)).toBe(CONFIG.sqs.visibilityTimeoutSeconds);
    expect(Number(queue.ReceiveMessageWaitTimeSeconds)).toBe(CONFIG.sqs.waitTimeSeconds);
    const redrive = JSON.parse(text(queue.RedrivePolicy, 'RedrivePolicy')) as {
      deadLetterTargetArn: string;
      maxReceiveCount: string;
    };
    expect(redrive.deadLetterTargetArn).toBe(`${queueArn}-dlq`);
    expect(Number(redrive.maxReceiveCount)).toBeGreaterThanOrEqual(5);
    expect(Number(dlq.MessageRetentionPeriod)).toBeGreaterThan(Number(queue.MessageRetentionPeriod));
    expect([queue.SqsManagedSseEnabled, dlq.SqsManagedSseEnabled]).toEqual(['true', 'true']);
  });

  it('name the queue of sqs.queueUrl and its DLQ, sqs.deadLetterQueueUrl, in the policies', () => {
    const dlqUrl = new URL(CONFIG.sqs.deadLetterQueueUrl!);
    const [, dlqAccount, dlqName] = dlqUrl.pathname.split('/');
    const dlqArn = `arn:aws:sqs:${dlqUrl.hostname.split('.')[1]}:${dlqAccount}:${dlqName}`;
    const redrive = JSON.parse(text(queue.RedrivePolicy, 'RedrivePolicy')) as { deadLetterTargetArn: string };
    expect(dlqArn).toBe(redrive.deadLetterTargetArn);
    const resources = (f: string) => statements(doc(f)).flatMap((s) => strings(s.Resource));
    expect(resources('sqs/queue-policy.json')).toEqual([queueArn]);
    expect(resources('iam/event-scheduler-policy.json')).toEqual([queueArn, dlqArn]);
  });

  it("let only the central bus's rules send to the queue", () => {
    const [statement] = statements(doc('sqs/queue-policy.json'));
    expect(statement.Principal).toEqual({ Service: 'events.amazonaws.com' });
    expect(strings(statement.Action)).toEqual(['sqs:SendMessage']);
    const condition = statement.Condition as { ArnLike: { 'aws:SourceArn': string } };
    const bus = strings(statements(doc('eventbridge/central-bus-policy.json'))[0].Resource)[0];
    const busName = bus.split(':event-bus/')[1];
    const sourceArn = glob(condition.ArnLike['aws:SourceArn']);
    for (const file of PATTERN_FILES) {
      // The rule names the page's loop gives the central bus's rules.
      const ruleArn = `${bus.split(':event-bus/')[0]}:rule/${busName}/spinnaker-event-cache-${basename(file, '.json')}`;
      expect({ ruleArn, allowed: sourceArn.test(ruleArn) }).toEqual({ ruleArn, allowed: true });
    }
  });

  it('let AWS Config publish to a topic that sns.topicArns accepts', () => {
    const [statement] = statements(doc('sns/topic-policy.json'));
    expect(statement.Principal).toEqual({ Service: 'config.amazonaws.com' });
    expect(CONFIG.sns.topicArns).toEqual(expect.arrayContaining(strings(statement.Resource)));
  });

  it("send events.apiKeyHeader as the API destination connection's key name", () => {
    const names = [...PAGE.matchAll(/ApiKeyName=([\w-]+)/g)].map((m) => m[1]);
    expect(names).toEqual([CONFIG.events.apiKeyHeader]);
  });
});

describe('docs/aws-setup.md', () => {
  /** The zod schema node at a dotted path (`accounts[].assumeRole`), or undefined. */
  function schemaAt(path: string): unknown {
    type Node = { def: Record<string, unknown> & { type: string } };
    let node = configSchema as unknown as Node;
    const unwrap = () => {
      while (['default', 'optional', 'nullable', 'prefault'].includes(node.def.type))
        node = node.def.innerType as Node;
    };
    for (const part of path.split('.')) {
      const [, name, arrays] = /^(\w+)((?:\[\])*)$/.exec(part) ?? [];
      unwrap();
      if (name === undefined || node.def.type !== 'object') return undefined;
      const shape = node.def.shape as Record<string, Node>;
      if (!Object.prototype.hasOwnProperty.call(shape, name)) return undefined;
      node = shape[name];
      for (let i = 0; i < arrays.length / 2; i++) {
        unwrap();
        if (node.def.type !== 'array') return undefined;
        node = node.def.element as Node;
      }
    }
    return node;
  }

  it('mentions only configuration keys that exist', () => {
    const top = Object.keys((configSchema as unknown as { def: { shape: object } }).def.shape).join('|');
    const key = new RegExp(`^(?:${top})(?:\\[\\])*(?:\\.\\w+(?:\\[\\])*)+$`);
    const mentioned = [...PAGE.matchAll(/`([^`\s]+)`/g)]
      .map((m) => m[1])
      .filter((token) => key.test(token) && !token.includes('amazonaws'));
    expect(mentioned.length).toBeGreaterThan(10);
    expect(mentioned.filter((k) => schemaAt(k) === undefined)).toEqual([]);
  });

  it('annotates the ServiceAccounts of both services that call AWS', () => {
    const accounts = fencedBlocks(PAGE, 'yaml')
      .flatMap((text) => parseAllDocuments(text).map((d) => d.toJS() as unknown))
      .filter((v): v is JsonObject => isObject(v) && v.kind === 'ServiceAccount')
      .map((v) => (v.metadata as JsonObject).name);
    expect(accounts).toEqual(['event-cache-event-scheduler', 'event-cache-caching-agents']);
  });
});
