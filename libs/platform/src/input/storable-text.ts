/**
 * Text PostgreSQL cannot store: U+0000 (refused by `text` and `jsonb`) and unpaired UTF-16
 * surrogates (refused by `jsonb`; `text` silently turns them into U+FFFD). Both are valid in JSON
 * and in percent-encoded URLs, so any input may carry them.
 */
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what this looks for
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** What a refusal says about such text (never the text itself). */
export const UNSTORABLE_TEXT = 'holds U+0000 or an unpaired surrogate, which cannot be stored';

export function isStorableText(text: string): boolean {
  return !UNSTORABLE.test(text);
}

/**
 * Where the first string or object key in `value`, at any depth, holds text the database cannot
 * store: a dotted path (`detail.tags.0.Value`; for a key, the object holding it; at most 200
 * characters), `''` for `value` itself, undefined when there is none. Callers refuse such input (reason-coded) where it enters,
 * so it never reaches a statement. Iterative: arbitrarily deep values cannot overflow the stack.
 */
export function findUnstorableText(value: unknown): string | undefined {
  const stack: { value: unknown; path: string }[] = [{ value, path: '' }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item.value === 'string') {
      if (!isStorableText(item.value)) return shortPath(item.path);
    } else if (item.value !== null && typeof item.value === 'object') {
      for (const [key, child] of Object.entries(item.value)) {
        if (!isStorableText(key)) return shortPath(item.path);
        stack.push({ value: child, path: item.path ? `${item.path}.${key}` : key });
      }
    }
  }
  return undefined;
}

/** Paths go into messages: a deeply nested input must not make a huge one. */
export function shortPath(path: string): string {
  return path.length > 200 ? `${path.slice(0, 199)}…` : path;
}
