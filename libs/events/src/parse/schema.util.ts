import { type JsonArray, type JsonObject, type JsonValue, isJsonObject, ownValue } from '../json/json.model';

/*
 * Hand-written strict readers. A reader returns the value when it has exactly the expected type
 * and throws SchemaError otherwise (never coerces: "1" is not a number, 1 is not a string, null is
 * not a string unless the field is declared nullable). Only own properties are read, so nothing is
 * ever picked up from Object.prototype. SchemaError never leaves the library: the entry points turn
 * it into a `schema_violation` rejection naming the field (not its value).
 */

export class SchemaError extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
  ) {
    super(`${path}: expected ${expected}`);
  }
}

export function fail(path: string, expected: string): never {
  throw new SchemaError(path, expected);
}

/** Own property or undefined. */
export const own: (o: JsonObject, key: string) => JsonValue | undefined = ownValue;

export function asObject(value: JsonValue | undefined, path: string): JsonObject {
  if (!isJsonObject(value)) fail(path, 'an object');
  return value;
}

export interface StringRule {
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: RegExp;
  /** Describes the pattern in the error message. */
  readonly what?: string;
}

const DEFAULT_MAX = 1024;

function checkString(value: JsonValue | undefined, path: string, rule: StringRule | undefined): string {
  if (typeof value !== 'string') fail(path, rule?.what ?? 'a string');
  const min = rule?.min ?? 1;
  const max = rule?.max ?? DEFAULT_MAX;
  if (value.length < min || value.length > max)
    fail(path, `${rule?.what ?? 'a string'} of ${min}..${max} characters`);
  if (rule?.pattern && !rule.pattern.test(value))
    fail(path, rule.what ?? `a string matching ${String(rule.pattern)}`);
  return value;
}

export function reqString(o: JsonObject, key: string, where: string, rule?: StringRule): string {
  return checkString(own(o, key), `${where}.${key}`, rule);
}

/** Absent → undefined; present → must satisfy the rule (null is refused). */
export function optString(o: JsonObject, key: string, where: string, rule?: StringRule): string | undefined {
  const value = own(o, key);
  return value === undefined ? undefined : checkString(value, `${where}.${key}`, rule);
}

/** Absent → undefined; null → null; otherwise must satisfy the rule. */
export function nullableString(
  o: JsonObject,
  key: string,
  where: string,
  rule?: StringRule,
): string | null | undefined {
  const value = own(o, key);
  if (value === undefined || value === null) return value;
  return checkString(value, `${where}.${key}`, rule);
}

export function optBoolean(o: JsonObject, key: string, where: string): boolean | undefined {
  const value = own(o, key);
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') fail(`${where}.${key}`, 'a boolean');
  return value;
}

export function optNumber(o: JsonObject, key: string, where: string): number | undefined {
  const value = own(o, key);
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(`${where}.${key}`, 'a number');
  return value;
}

export function reqObject(o: JsonObject, key: string, where: string): JsonObject {
  return asObject(own(o, key), `${where}.${key}`);
}

/** Absent or null → null; otherwise an object. */
export function objectOrNull(o: JsonObject, key: string, where: string): JsonObject | null {
  const value = own(o, key);
  if (value === undefined || value === null) return null;
  return asObject(value, `${where}.${key}`);
}

export function reqArray(o: JsonObject, key: string, where: string, maxItems: number): JsonArray {
  const value = own(o, key);
  if (!Array.isArray(value)) fail(`${where}.${key}`, 'an array');
  if (value.length > maxItems) fail(`${where}.${key}`, `at most ${maxItems} items`);
  return value as JsonArray;
}

export function optArray(o: JsonObject, key: string, where: string, maxItems: number): JsonArray | undefined {
  return own(o, key) === undefined ? undefined : reqArray(o, key, where, maxItems);
}

export function oneOf<T extends string>(o: JsonObject, key: string, where: string, allowed: readonly T[]): T {
  const value = own(o, key);
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(`${where}.${key}`, `one of ${allowed.join(', ')}`);
  }
  return value as T;
}

// --- common value rules -----------------------------------------------------------------------

export const ACCOUNT_ID: StringRule = {
  min: 12,
  max: 12,
  pattern: /^\d{12}$/,
  what: 'a 12-digit AWS account id',
};
export const REGION: StringRule = { max: 32, pattern: /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, what: 'an AWS region' };
/** Where AWS Config and AWS Health also say `global` (IAM, Route 53, ...). */
export const REGION_OR_GLOBAL: StringRule = {
  max: 32,
  pattern: /^(?:global|[a-z]{2}(-[a-z]+)+-\d{1,2})$/,
  what: 'an AWS region or "global"',
};
export const REGION_PATTERN = REGION.pattern!;
export const INSTANCE_ID_PATTERN = /^i-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
export const INSTANCE_ID: StringRule = { max: 19, pattern: INSTANCE_ID_PATTERN, what: 'an EC2 instance id' };
/** Printable ASCII without spaces: safe as a database key and in logs. */
export const EVENT_ID: StringRule = { max: 128, pattern: /^[\x21-\x7e]+$/, what: 'an event id' };
export const NAME: StringRule = { max: 255 };
export const ARN: StringRule = { max: 2048, pattern: /^arn:/, what: 'an ARN' };

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})$/;
const RFC_1123 =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} (?:GMT|UTC)$/;

export const ISO_TIMESTAMP: StringRule = { max: 40, pattern: ISO_TIME, what: 'an ISO 8601 timestamp' };
export const RFC_1123_TIMESTAMP: StringRule = { max: 40, pattern: RFC_1123, what: 'an RFC 1123 timestamp' };

/** Reads a timestamp field and checks it denotes a real instant. */
export function reqTime(o: JsonObject, key: string, where: string, rule: StringRule = ISO_TIMESTAMP): string {
  const value = reqString(o, key, where, rule);
  if (!Number.isFinite(Date.parse(value))) fail(`${where}.${key}`, rule.what ?? 'a timestamp');
  return value;
}

export function optTime(
  o: JsonObject,
  key: string,
  where: string,
  rule: StringRule = ISO_TIMESTAMP,
): string | undefined {
  return own(o, key) === undefined ? undefined : reqTime(o, key, where, rule);
}

/** Copies the defined entries only, so optional fields stay absent instead of `undefined`. */
export function compact<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  // for-in over a fresh literal is the cheapest walk (no entry arrays); it only has own keys.
  for (const k in value) {
    const v = value[k];
    if (v !== undefined) out[k] = v;
  }
  return out as T;
}
