import { CodedError } from '@event-cache/platform';
import { z } from 'zod';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Validates a request body or query against a zod schema (docs/architecture.md#bad-input-and-faults): prototype-polluting keys at
 * any depth are refused (`forbidden_key`), then the schema applies (`schema_violation`, naming the
 * field, never echoing its value). Wrong types are refused, never coerced.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = 'body'): z.output<S> {
  if (hasForbiddenKey(input)) throw new CodedError('forbidden_key', `${what}: forbidden key`);
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue.path.length > 0 ? issue.path.join('.') : what;
  throw new CodedError('schema_violation', `${path}: ${issue.message}`);
}

function hasForbiddenKey(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item === null || typeof item !== 'object') continue;
    for (const [key, child] of Object.entries(item)) {
      if (FORBIDDEN_KEYS.has(key)) return true;
      stack.push(child);
    }
  }
  return false;
}

/** Field formats shared by the routes. */
export const formats = {
  account: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'a Spinnaker account name'),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-east-1'),
  agentKind: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,127}$/, 'an agent kind such as InstanceCachingAgent'),
  agentIdGlob: z
    .string()
    .regex(/^[A-Za-z0-9_.\-/*]{1,300}$/, 'an agent id or glob such as prod/*/InstanceCachingAgent'),
  cacheType: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,63}$/, 'a cache type such as instances'),
  /** A positive whole number given in a query string. */
  queryInt: (min: number, max: number) =>
    z
      .string()
      .regex(/^\d{1,9}$/, 'a whole number')
      .transform(Number)
      .pipe(z.number().int().min(min).max(max)),
};
