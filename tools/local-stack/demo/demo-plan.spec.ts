import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { loadConfig } from '@event-cache/platform';
import { DEMO_HEARTBEAT_RULE, demoHeartbeat, demoServicesConfig, demoWanted } from './demo-plan';

describe('the demo estate runs only when no account is configured', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'demo-plan-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const load = (name: string, yaml: string) => {
    writeFileSync(join(dir, name), yaml);
    return loadConfig('caching-agents', { EVENT_CACHE_CONFIG: join(dir, name) });
  };

  it("npm start's own configuration (no accounts): the demo runs, the services get the demo account on the estate's endpoint", () => {
    const local = join(__dirname, '..', 'local.config.yaml');
    const config = loadConfig('caching-agents', { EVENT_CACHE_CONFIG: local });
    expect(demoWanted(config)).toBe(true);

    const file = parse(readFileSync(local, 'utf8')) as Record<string, unknown>;
    const services = load('services.yaml', stringify(demoServicesConfig(file, 'http://127.0.0.1:40123')));
    expect(services.accounts).toEqual([
      {
        name: 'demo',
        accountId: '000000000000',
        regions: [{ name: 'us-east-1' }],
        environment: 'demo',
      },
    ]);
    expect(services.aws.endpoint).toBe('http://127.0.0.1:40123');
    // The file's own settings stay (Clouddriver's tables, intervals).
    expect(services.clouddriver.cache.enabled).toBe(true);
    expect(services.polling.environmentMultipliers).toEqual({ nonprod: 4 });
    expect(demoWanted(services)).toBe(false);
  });

  it('any account configured: no demo, and the demo configuration cannot be made from that file', () => {
    const yaml = `
accounts:
  - name: prod
    accountId: "123456789012"
    regions: [{ name: eu-west-1 }]
`;
    expect(demoWanted(load('real.yaml', yaml))).toBe(false);
    expect(() => demoServicesConfig(parse(yaml) as Record<string, unknown>, 'http://127.0.0.1:1')).toThrow(
      'the demo estate never runs with accounts configured',
    );
  });

  it("per-service endpoints of the file are cleared: they would send the demo's calls elsewhere", () => {
    const config = demoServicesConfig(
      { aws: { endpoints: { ec2: 'http://localhost:4566' }, maxAttempts: 5 } },
      'http://127.0.0.1:40123',
    );
    const services = load('endpoints.yaml', stringify(config));
    expect(services.aws).toMatchObject({ endpoint: 'http://127.0.0.1:40123', endpoints: {}, maxAttempts: 5 });
  });

  it('heartbeats come from the first configured heartbeat rule, at its period', () => {
    expect(demoHeartbeat(load('default.yaml', '{}'))).toEqual({
      ruleName: DEMO_HEARTBEAT_RULE,
      periodMs: 60_000,
    });
    expect(
      demoHeartbeat(
        load('rules.yaml', 'events: { heartbeat: { ruleNames: [beat-a, beat-b], periodSeconds: 30 } }'),
      ),
    ).toEqual({ ruleName: 'beat-a', periodMs: 30_000 });
  });
});
