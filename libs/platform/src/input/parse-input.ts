import type { z } from 'zod';
import { CodedError } from '../errors/coded-error';
import { findUnstorableText, shortPath, UNSTORABLE_TEXT } from './storable-text';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Checks a request input (a parsed JSON body, a query, a path parameter) where it enters:
 * prototype-polluting keys are refused anywhere in it (`forbidden_key`), so is text PostgreSQL
 * cannot store (`schema_violation`: U+0000, unpaired surrogates), then the schema decides
 * (`schema_violation`, naming the field, never echoing its value). Types are never coerced.
 * `at` names where the value sits (`query`, `path.key`), for messages.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, at?: string): z.output<S> {
  const name = (path: string) => shortPath([at, path].filter(Boolean).join('.')) || '(body)';
  const forbidden = findForbiddenKey(input);
  if (forbidden !== undefined) throw new CodedError('forbidden_key', `forbidden key ${name(forbidden)}`);
  const unstorable = findUnstorableText(input);
  if (unstorable !== undefined)
    throw new CodedError('schema_violation', `${name(unstorable)}: ${UNSTORABLE_TEXT}`);
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((issue) => {
      const message =
        issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.join(', ')}` : issue.message;
      return `${name(issue.path.join('.'))}: ${message}`;
    });
    throw new CodedError('schema_violation', issues.join('; '));
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
