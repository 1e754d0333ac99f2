import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** libs/events' AWS-shaped fixtures, read from disk (nothing test-only is imported across projects). */
const FIXTURES = join(__dirname, '..', '..', '..', 'libs', 'events', 'src', '__fixtures__');

export function fixture(relativePath: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, relativePath), 'utf8')) as Record<string, unknown>;
}

/** An EventBridge fixture with a fresh id (and any field replaced). */
export function event(
  relativePath: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return { ...fixture(`eventbridge/${relativePath}`), id: crypto.randomUUID(), ...overrides };
}

export function writeConfig(yaml: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'event-scheduler-e2e-')), 'config.yaml');
  writeFileSync(path, yaml);
  return path;
}

export { eventually } from '@event-cache/testing';
