/** A JSON value as produced by the safe parser: plain data, no functions, no prototypes to speak of. */
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonObject | JsonArray;
export interface JsonObject {
  readonly [key: string]: JsonValue;
}
export type JsonArray = readonly JsonValue[];

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object's own property, never one inherited from Object.prototype. */
export function ownValue(o: JsonObject | null | undefined, key: string): JsonValue | undefined {
  return o != null && Object.hasOwn(o, key) ? o[key] : undefined;
}
