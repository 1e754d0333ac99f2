import { type JsonValue } from './json.model';
import { type ParseResult, accepted, rejected } from '../result.model';

/** 256 KiB: the largest SNS / EventBridge payload AWS produces, and our default bound. */
export const DEFAULT_MAX_BYTES = 256 * 1024;

/** Keys that could reach an object's prototype chain if the data were ever merged naively. */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * A key can only decode to a forbidden name if the raw text spells that name or uses a `\u`
 * escape (no other JSON escape produces a letter). Documents without either skip the key walk.
 * (Four `indexOf` scans beat one alternation regex on typical 1-3 KB events.)
 */
function mayHaveForbiddenKey(text: string): boolean {
  return (
    text.includes('__proto__') ||
    text.includes('constructor') ||
    text.includes('prototype') ||
    text.includes('\\u')
  );
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface SafeJsonOptions {
  /** Upper bound in UTF-8 bytes, checked before parsing. Default 256 KiB. */
  readonly maxBytes?: number;
}

/**
 * Parses untrusted JSON: the size is checked in bytes before parsing, bytes must be valid UTF-8,
 * and any `__proto__` / `constructor` / `prototype` key at any depth rejects the whole document.
 * `JSON.parse` itself never assigns prototypes (it defines own properties), so the result is inert
 * data; refusing those keys keeps it inert even if a caller later merges it into another object.
 * Never throws.
 */
export function parseJsonSafely(
  input: string | Uint8Array,
  options: SafeJsonOptions = {},
): ParseResult<JsonValue> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  let text: string;
  if (typeof input === 'string') {
    // Each UTF-16 code unit is at least one UTF-8 byte and at most three: only measure when unsure.
    if (
      input.length > maxBytes ||
      (input.length * 3 > maxBytes && Buffer.byteLength(input, 'utf8') > maxBytes)
    ) {
      return rejected('payload_too_large', `body exceeds ${maxBytes} bytes`);
    }
    text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  } else if (input instanceof Uint8Array) {
    if (input.byteLength > maxBytes) return rejected('payload_too_large', `body exceeds ${maxBytes} bytes`);
    try {
      text = utf8.decode(input); // strips a leading BOM
    } catch {
      return rejected('malformed_json', 'body is not valid UTF-8');
    }
  } else {
    return rejected('malformed_json', 'body is neither a string nor bytes');
  }

  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch (error) {
    return rejected(
      'malformed_json',
      error instanceof RangeError ? 'JSON nested too deeply' : 'body is not valid JSON',
    );
  }
  if (mayHaveForbiddenKey(text)) {
    const forbidden = findForbiddenKey(value);
    if (forbidden !== undefined) return rejected('forbidden_key', `forbidden key "${forbidden}" in document`);
  }
  return accepted(value);
}

/** Iterative walk (no recursion, so arbitrarily deep documents cannot overflow the stack). */
function findForbiddenKey(root: JsonValue): string | undefined {
  const stack: JsonValue[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== 'object' || node === null) continue;
    if (Array.isArray(node)) {
      for (const item of node as readonly JsonValue[])
        if (typeof item === 'object' && item !== null) stack.push(item);
      continue;
    }
    // Object.keys lists own enumerable keys, including an own "__proto__" created by JSON.parse.
    for (const key of Object.keys(node)) {
      if (FORBIDDEN_KEYS.has(key)) return key;
      const child = (node as Record<string, JsonValue>)[key];
      if (typeof child === 'object' && child !== null) stack.push(child);
    }
  }
  return undefined;
}
