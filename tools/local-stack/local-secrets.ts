import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where a secret in use comes from. */
export type SecretSource = 'configured' | 'kept' | 'generated';

export interface LocalSecret {
  value: string;
  source: SecretSource;
}

export interface LocalSecrets {
  /** gate-endpoint's admin API bearer token (`admin.token`). */
  adminToken: LocalSecret;
  /** The API key of `POST /events` (`events.apiKey`). */
  eventsApiKey: LocalSecret;
  /** The file generated secrets are kept in. */
  file: string;
}

export const LOCAL_SECRETS_FILE = 'local-secrets.json';

/** What a kept secret must look like (what `generate` makes; the services want 16+ characters). */
const SECRET = /^[A-Za-z0-9_-]{16,256}$/;

/**
 * The admin token and events API key of a local run: the configured ones (the config file, or
 * ADMIN_TOKEN / EVENTS_API_KEY) win; otherwise those kept in `<dataDir>/local-secrets.json` from
 * an earlier run; otherwise new random ones, written there (mode 0600) so the next run of the same
 * data directory uses them again. A file that cannot be read as such is replaced.
 */
export function localSecrets(
  dataDir: string,
  configured: { adminToken?: string; eventsApiKey?: string },
): LocalSecrets {
  const file = join(dataDir, LOCAL_SECRETS_FILE);
  const kept = readKept(file);
  const pick = (name: 'adminToken' | 'eventsApiKey'): LocalSecret => {
    const own = configured[name];
    if (own !== undefined) return { value: own, source: 'configured' };
    const old = kept[name];
    if (old !== undefined) return { value: old, source: 'kept' };
    return { value: randomBytes(24).toString('base64url'), source: 'generated' };
  };
  const secrets = { adminToken: pick('adminToken'), eventsApiKey: pick('eventsApiKey'), file };
  const generated = (['adminToken', 'eventsApiKey'] as const).filter(
    (n) => secrets[n].source === 'generated',
  );
  if (generated.length > 0) {
    const next = { ...kept };
    for (const name of generated) next[name] = secrets[name].value;
    mkdirSync(dataDir, { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, file);
  }
  return secrets;
}

function readKept(file: string): { adminToken?: string; eventsApiKey?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return {}; // none yet, or unreadable: replaced
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
  const out: { adminToken?: string; eventsApiKey?: string } = {};
  for (const name of ['adminToken', 'eventsApiKey'] as const) {
    const value: unknown = Object.hasOwn(parsed, name)
      ? (parsed as Record<string, unknown>)[name]
      : undefined;
    if (typeof value === 'string' && SECRET.test(value)) out[name] = value;
  }
  return out;
}
