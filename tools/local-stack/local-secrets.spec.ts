import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_SECRETS_FILE, localSecrets } from './local-secrets';

describe('the admin token and events API key of a local run', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'local-secrets-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('generates both on the first run of a data directory and keeps them, readable by its owner only', () => {
    const first = localSecrets(dir, {});
    expect(first.adminToken.source).toBe('generated');
    expect(first.eventsApiKey.source).toBe('generated');
    expect(first.adminToken.value).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(first.eventsApiKey.value).not.toBe(first.adminToken.value);
    const file = join(dir, LOCAL_SECRETS_FILE);
    expect(first.file).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const second = localSecrets(dir, {});
    expect(second.adminToken).toEqual({ value: first.adminToken.value, source: 'kept' });
    expect(second.eventsApiKey).toEqual({ value: first.eventsApiKey.value, source: 'kept' });

    const elsewhere = mkdtempSync(join(tmpdir(), 'local-secrets-'));
    try {
      expect(localSecrets(elsewhere, {}).adminToken.value).not.toBe(first.adminToken.value);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('uses configured ones (ADMIN_TOKEN, EVENTS_API_KEY or the file) as they are, and writes nothing for them', () => {
    const secrets = localSecrets(dir, {
      adminToken: 'from-the-environment-0001',
      eventsApiKey: 'from-the-config-file-0002',
    });
    expect(secrets.adminToken).toEqual({ value: 'from-the-environment-0001', source: 'configured' });
    expect(secrets.eventsApiKey).toEqual({ value: 'from-the-config-file-0002', source: 'configured' });
    expect(() => statSync(join(dir, LOCAL_SECRETS_FILE))).toThrow();

    // One configured, the other generated and kept; the configured one is not written down.
    const mixed = localSecrets(dir, { adminToken: 'from-the-environment-0001' });
    expect(mixed.eventsApiKey.source).toBe('generated');
    const kept = JSON.parse(readFileSync(join(dir, LOCAL_SECRETS_FILE), 'utf8')) as Record<string, string>;
    expect(kept).toEqual({ eventsApiKey: mixed.eventsApiKey.value });
  });

  it('replaces a kept file it cannot use (not JSON, a value too short or not a string, a prototype key)', () => {
    const file = join(dir, LOCAL_SECRETS_FILE);
    for (const text of [
      'not json',
      '{"adminToken": "short", "eventsApiKey": 42}',
      '{"__proto__": {"adminToken": "polluted-token-000000"}}',
    ]) {
      writeFileSync(file, text);
      const secrets = localSecrets(dir, {});
      expect(secrets.adminToken.source).toBe('generated');
      expect(secrets.eventsApiKey.source).toBe('generated');
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
        adminToken: secrets.adminToken.value,
        eventsApiKey: secrets.eventsApiKey.value,
      });
    }
  });
});
