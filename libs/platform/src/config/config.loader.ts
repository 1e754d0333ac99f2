import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type AppConfig, configSchema, SERVICE_PORTS, type ServiceName } from './config.schema';

/** Thrown when configuration is invalid; the message names fields, never their values. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function rejectForbiddenKeys(value: unknown, path: string[], problems: string[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => rejectForbiddenKeys(item, [...path, String(i)], problems));
  } else if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) problems.push(`${[...path, key].join('.')}: forbidden key`);
      else rejectForbiddenKeys((value as Record<string, unknown>)[key], [...path, key], problems);
    }
  }
}

function readFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError([
      `EVENT_CACHE_CONFIG: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
    ]);
  }
  try {
    // Plain data only: no custom tags, no merge keys that could smuggle prototypes.
    return parseYaml(text, { schema: 'core', merge: false, maxAliasCount: 100 }) ?? {};
  } catch (e) {
    throw new ConfigError([
      `EVENT_CACHE_CONFIG: ${path} is not valid YAML (${(e as Error).message.split('\n')[0]})`,
    ]);
  }
}

function integerFromEnv(env: Env, name: string, problems: string[]): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) {
    problems.push(`${name}: must be a whole number`);
    return undefined;
  }
  return Number(raw);
}

/**
 * Loads the configuration of one service: the YAML file named by EVENT_CACHE_CONFIG (optional),
 * then environment overrides (DATABASE_URL, PORT, HOST, LOG_LEVEL, ADMIN_TOKEN, EVENTS_API_KEY,
 * FORWARDER_TOKEN, SQS_QUEUE_URL, CLOUDDRIVER_DATABASE_URL). Validates once; throws a ConfigError naming every bad field.
 */
export function loadConfig(service: ServiceName, env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const file = env.EVENT_CACHE_CONFIG ? readFile(env.EVENT_CACHE_CONFIG) : {};
  if (file === null || typeof file !== 'object' || Array.isArray(file)) {
    throw new ConfigError(['EVENT_CACHE_CONFIG: the file must hold a mapping at the top level']);
  }
  rejectForbiddenKeys(file, [], problems);
  if (problems.length) throw new ConfigError(problems);

  const raw = file as Record<string, Record<string, unknown> | undefined>;
  const port = integerFromEnv(env, 'PORT', problems);
  const merged: Record<string, unknown> = {
    ...raw,
    database: { ...raw.database, ...(env.DATABASE_URL ? { url: env.DATABASE_URL } : {}) },
    http: { ...raw.http, ...(port !== undefined ? { port } : {}), ...(env.HOST ? { host: env.HOST } : {}) },
    log: { ...raw.log, ...(env.LOG_LEVEL ? { level: env.LOG_LEVEL } : {}) },
    // Secrets and the queue usually come from the environment (a Kubernetes Secret), not the file.
    admin: { ...raw.admin, ...(env.ADMIN_TOKEN ? { token: env.ADMIN_TOKEN } : {}) },
    events: { ...raw.events, ...(env.EVENTS_API_KEY ? { apiKey: env.EVENTS_API_KEY } : {}) },
    forwarder: { ...raw.forwarder, ...(env.FORWARDER_TOKEN ? { token: env.FORWARDER_TOKEN } : {}) },
    sqs: { ...raw.sqs, ...(env.SQS_QUEUE_URL ? { queueUrl: env.SQS_QUEUE_URL } : {}) },
    ...(env.CLOUDDRIVER_DATABASE_URL && {
      clouddriver: {
        ...raw.clouddriver,
        cache: { ...(raw.clouddriver?.cache as object), databaseUrl: env.CLOUDDRIVER_DATABASE_URL },
      },
    }),
  };
  if (problems.length) throw new ConfigError(problems);

  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map(describeIssue));

  const accounts = parsed.data.accounts;
  const seen = new Map<string, number>();
  accounts.forEach((a, i) => {
    if (seen.has(a.name)) problems.push(`accounts.${i}.name: duplicate account name`);
    seen.set(a.name, i);
  });
  const ids = new Set<string>();
  accounts.forEach((a, i) => {
    if (ids.has(a.accountId)) problems.push(`accounts.${i}.accountId: duplicate account id`);
    ids.add(a.accountId);
  });
  if (problems.length) throw new ConfigError(problems);

  return {
    ...parsed.data,
    service,
    http: { ...parsed.data.http, port: parsed.data.http.port ?? SERVICE_PORTS[service] },
  };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length ? issue.path.join('.') : '(root)';
  // zod messages describe the expected shape; the received value is never included.
  const message =
    issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.join(', ')}` : issue.message;
  return `${path}: ${message}`;
}
