import { CodedError } from '@event-cache/platform';
import type { z } from 'zod';
import { AppErrorCode } from '../error-status';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Checks a parsed JSON body against a schema: prototype-polluting keys are refused anywhere in it
 * (`forbidden_key`), then the schema decides (`schema_violation`, naming the field, never echoing
 * its value). Types are never coerced. `at` names where the value sits, for messages.
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, at?: string): z.output<S> {
  const forbidden = findForbiddenKey(body);
  if (forbidden) {
    throw new CodedError(AppErrorCode.ForbiddenKey, `forbidden key ${at ? `${at}.` : ''}${forbidden}`);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((issue) => {
      const path = [...(at ? [at] : []), ...issue.path].join('.') || '(body)';
      const message =
        issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.join(', ')}` : issue.message;
      return `${path}: ${message}`;
    });
    throw new CodedError(AppErrorCode.SchemaViolation, issues.join('; '));
  }
  return parsed.data;
}

/** Depth-first, without recursion: a deeply nested body cannot exhaust the stack. */
function findForbiddenKey(body: unknown): string | undefined {
  const stack: { value: unknown; path: string }[] = [{ value: body, path: '' }];
  while (stack.length) {
    const { value, path } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    for (const key of Object.keys(value)) {
      const at = path ? `${path}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key)) return at;
      stack.push({ value: (value as Record<string, unknown>)[key], path: at });
    }
  }
  return undefined;
}
