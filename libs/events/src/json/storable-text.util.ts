/**
 * Text PostgreSQL cannot store: U+0000 (refused by `text` and `jsonb`) and unpaired UTF-16
 * surrogates (refused by `jsonb`). Both are valid in JSON, so a parsed event may carry them.
 */
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what this looks for
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * True when any string or object key in `value`, at any depth, holds text the database cannot
 * store. Callers reject such an event (reason-coded) before it reaches the inbox, so one bad
 * event never fails a whole batch. Iterative: arbitrarily deep values cannot overflow the stack.
 */
export function hasUnstorableText(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === 'string') {
      if (UNSTORABLE.test(item)) return true;
    } else if (Array.isArray(item)) {
      for (const element of item) stack.push(element);
    } else if (item !== null && typeof item === 'object') {
      for (const [key, element] of Object.entries(item)) {
        if (UNSTORABLE.test(key)) return true;
        stack.push(element);
      }
    }
  }
  return false;
}
