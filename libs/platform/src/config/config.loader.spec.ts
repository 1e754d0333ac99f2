import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config.loader';

const dir = mkdtempSync(join(tmpdir(), 'event-cache-config-'));
let n = 0;
function file(yaml: string): string {
  const path = join(dir, `config-${n++}.yaml`);
  writeFileSync(path, yaml);
  return path;
}

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig('gate-endpoint', env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const ACCOUNTS = `
accounts:
  - name: prod
    accountId: "123456789012"
    assumeRole: role/spinnaker
    regions: [{ name: us-east-1 }, { name: eu-west-1 }]
  - name: staging
    accountId: "210987654321"
    regions: [{ name: us-west-2 }]
    environment: nonprod
polling:
  environmentMultipliers: { nonprod: 4 }
`;

describe('loadConfig', () => {
  it('applies defaults without a file: the service port, info logs, Clouddriver polling', () => {
    const config = loadConfig('caching-agents', {});
    expect(config.http.port).toBe(8092);
    expect(config.log.level).toBe('info');
    expect(config.polling.defaultIntervalSeconds).toBe(30);
    expect(config.polling.reconcileIntervalSeconds).toBe(600);
    expect(config.accounts).toEqual([]);
  });

  it('bounds every HTTP server by default, and refuses limits that contradict each other', () => {
    expect(loadConfig('gate-endpoint', {}).http).toEqual({
      host: '0.0.0.0',
      port: 8090,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      maxConnections: 256,
    });
    expect(
      loadConfig('gate-endpoint', { EVENT_CACHE_CONFIG: file('http: { maxConnections: 64 }\n') }).http,
    ).toMatchObject({ maxConnections: 64, requestTimeoutMs: 30_000 });
    expect(
      problems({ EVENT_CACHE_CONFIG: file('http: { headersTimeoutMs: 60000, requestTimeoutMs: 20000 }\n') }),
    ).toEqual(['http.headersTimeoutMs: must not exceed http.requestTimeoutMs']);
    expect(problems({ EVENT_CACHE_CONFIG: file('http: { maxConnections: 0 }\n') })).toEqual([
      'http.maxConnections: Too small: expected number to be >=1',
    ]);
  });

  it('re-checks settling target health every 5 s for 10 minutes unless told otherwise, within bounds', () => {
    expect(loadConfig('caching-agents', {}).aws.targetHealth).toEqual({
      recheckSeconds: 5,
      windowSeconds: 600,
    });
    const config = loadConfig('caching-agents', {
      EVENT_CACHE_CONFIG: file(
        'aws: { targetHealth: { recheckSeconds: 2 }, endpoints: { cloudWatch: http://localhost:4566 } }\n',
      ),
    });
    expect(config.aws.targetHealth).toEqual({ recheckSeconds: 2, windowSeconds: 600 });
    expect(config.aws.endpoints.cloudWatch).toBe('http://localhost:4566');
    expect(problems({ EVENT_CACHE_CONFIG: file('aws: { targetHealth: { recheckSeconds: 0 } }\n') })).toEqual([
      expect.stringMatching(/^aws\.targetHealth\.recheckSeconds: /),
    ]);
  });

  it('reads the accounts section in Clouddriver field names and defaults environment to prod', () => {
    const config = loadConfig('gate-endpoint', { EVENT_CACHE_CONFIG: file(ACCOUNTS) });
    expect(config.accounts.map((a) => [a.name, a.environment, a.regions.map((r) => r.name)])).toEqual([
      ['prod', 'prod', ['us-east-1', 'eu-west-1']],
      ['staging', 'nonprod', ['us-west-2']],
    ]);
    expect(config.polling.environmentMultipliers).toEqual({ nonprod: 4 });
  });

  it('lets DATABASE_URL, PORT, HOST and LOG_LEVEL override the file', () => {
    const config = loadConfig('gate-endpoint', {
      EVENT_CACHE_CONFIG: file('http: { port: 9000 }\nlog: { level: warn }\n'),
      DATABASE_URL: 'postgres://u:p@db:5432/cache',
      PORT: '9100',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
    });
    expect(config.database.url).toBe('postgres://u:p@db:5432/cache');
    expect(config.http).toMatchObject({ port: 9100, host: '127.0.0.1' });
    expect(config.log.level).toBe('debug');
  });

  it('takes the admin token, the API-destination key and the queue URL from the environment', () => {
    const config = loadConfig('gate-endpoint', {
      EVENT_CACHE_CONFIG: file('admin: { token: from-the-file-0000 }\nevents: { apiKeyHeader: x-key }\n'),
      ADMIN_TOKEN: 'admin-token-from-env',
      EVENTS_API_KEY: 'api-key-from-the-env',
      SQS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/events',
    });
    expect(config.admin.token).toBe('admin-token-from-env');
    expect(config.events).toMatchObject({ apiKey: 'api-key-from-the-env', apiKeyHeader: 'x-key' });
    expect(config.sqs.queueUrl).toBe('https://sqs.us-east-1.amazonaws.com/123456789012/events');
    expect(problems({ ADMIN_TOKEN: 'short' })).toEqual(['admin.token: at least 16 characters']);
  });

  it("takes the forwarder's shared token from FORWARDER_TOKEN (unset by default)", () => {
    expect(loadConfig('clouddriver-forwarder', {}).forwarder.token).toBeUndefined();
    const config = loadConfig('event-scheduler', { FORWARDER_TOKEN: 'forwarder-token-from-env' });
    expect(config.forwarder.token).toBe('forwarder-token-from-env');
    expect(problems({ FORWARDER_TOKEN: 'short' })).toEqual(['forwarder.token: at least 16 characters']);
  });

  it("takes Clouddriver's database from CLOUDDRIVER_DATABASE_URL, keeping the file's other projection keys", () => {
    const config = loadConfig('caching-agents', {
      EVENT_CACHE_CONFIG: file('clouddriver: { cache: { enabled: true, tableNamespace: spin } }\n'),
      CLOUDDRIVER_DATABASE_URL: 'postgres://projection:secret@clouddriver-db:5432/clouddriver',
    });
    expect(config.clouddriver.cache).toMatchObject({
      enabled: true,
      tableNamespace: 'spin',
      databaseUrl: 'postgres://projection:secret@clouddriver-db:5432/clouddriver',
    });
    expect(loadConfig('caching-agents', {}).clouddriver.cache.databaseUrl).toBeUndefined();
    const found = problems({ CLOUDDRIVER_DATABASE_URL: 'mysql://projection:secret@db/clouddriver' });
    expect(found).toEqual([expect.stringMatching(/^clouddriver\.cache\.databaseUrl: /)]);
    expect(found.join('\n')).not.toContain('secret');
  });

  it('names the bad field and never prints its value', () => {
    const secret = 'hunter2-not-a-url';
    const found = problems({ DATABASE_URL: secret });
    expect(found).toEqual([expect.stringMatching(/^database\.url: /)]);
    expect(found.join('\n')).not.toContain(secret);
  });

  it('rejects wrong types instead of coercing them', () => {
    const found = problems({
      EVENT_CACHE_CONFIG: file(
        'accounts:\n  - name: prod\n    accountId: 123456789012\n    regions: [{ name: us-east-1 }]\n',
      ),
    });
    expect(found).toEqual([expect.stringMatching(/^accounts\.0\.accountId: /)]);
  });

  it('rejects unknown keys (typos), duplicate accounts, bad regions and a non-numeric PORT', () => {
    expect(problems({ EVENT_CACHE_CONFIG: file('pollling: {}\n') })).toEqual([
      '(root): unknown key(s) pollling',
    ]);
    expect(
      problems({
        EVENT_CACHE_CONFIG: file(
          'accounts:\n  - { name: a, accountId: "123456789012", regions: [{ name: us-east-1 }] }\n  - { name: a, accountId: "123456789013", regions: [{ name: useast1 }] }\n',
        ),
      }),
    ).toEqual([expect.stringMatching(/^accounts\.1\.regions\.0\.name: /)]);
    expect(
      problems({
        EVENT_CACHE_CONFIG: file(
          'accounts:\n  - { name: a, accountId: "123456789012", regions: [{ name: us-east-1 }] }\n  - { name: a, accountId: "123456789012", regions: [{ name: us-east-1 }] }\n',
        ),
      }),
    ).toEqual(['accounts.1.name: duplicate account name', 'accounts.1.accountId: duplicate account id']);
    expect(problems({ PORT: '80a' })).toEqual(['PORT: must be a whole number']);
  });

  it("wants the Config aggregator's role as a full ARN: role/<name> would name the cached account's", () => {
    const account = (role: string) =>
      file(
        `accounts:\n  - name: a\n    accountId: "123456789012"\n    regions: [{ name: us-east-1 }]\n    configSource: { aggregatorName: org, assumeRole: ${role} }\n`,
      );
    expect(problems({ EVENT_CACHE_CONFIG: account('role/config-reader') })).toEqual([
      "accounts.0.configSource.assumeRole: an IAM role ARN in the aggregator's account",
    ]);
    const config = loadConfig('caching-agents', {
      EVENT_CACHE_CONFIG: account('arn:aws:iam::999999999999:role/config-reader'),
    });
    expect(config.accounts[0].configSource?.assumeRole).toBe('arn:aws:iam::999999999999:role/config-reader');
  });

  it('rejects prototype-polluting keys and leaves Object.prototype alone', () => {
    expect(problems({ EVENT_CACHE_CONFIG: file('polling:\n  __proto__: { polluted: true }\n') })).toEqual([
      'polling.__proto__: forbidden key',
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('says when the file is missing or is not YAML', () => {
    expect(problems({ EVENT_CACHE_CONFIG: join(dir, 'missing.yaml') })).toEqual([
      expect.stringMatching(/^EVENT_CACHE_CONFIG: cannot read .*missing\.yaml \(ENOENT\)$/),
    ]);
    expect(problems({ EVENT_CACHE_CONFIG: file('accounts: [\n') })).toEqual([
      expect.stringMatching(/^EVENT_CACHE_CONFIG: .* is not valid YAML/),
    ]);
  });
});
