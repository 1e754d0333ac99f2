/**
 * Cache attributes are the AWS SDK v3 output objects with camelCased keys, the way Clouddriver
 * stores the (Jackson-serialized) SDK v1 objects: `InstanceId` -> `instanceId`, `DNSName` ->
 * `dnsName`, `VPCZoneIdentifier` -> `vpcZoneIdentifier`. Dates become ISO-8601 strings, undefined
 * members are dropped, arrays keep AWS's order, values (tag keys and values included) are untouched.
 * AWS Config configuration items already use this shape, so both sources give the same records.
 */
export function toAttributes(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => toAttributes(item));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      if (member === undefined || key === '$metadata') continue;
      out[camelCase(key)] = toAttributes(member);
    }
    return out;
  }
  return value;
}

/** `toAttributes` for an object (the usual case). */
export function attributesOf(value: object): Record<string, unknown> {
  return toAttributes(value) as Record<string, unknown>;
}

/** Lowercases a leading run of capitals, keeping the one that starts the next word. */
export function camelCase(key: string): string {
  const m = /^[A-Z]+/.exec(key);
  if (!m) return key;
  const run = m[0];
  if (run.length === key.length) return key.toLowerCase();
  if (run.length === 1) return run.toLowerCase() + key.slice(1);
  // "DNSName": the last capital of the run starts the next word ("Name").
  return /[a-z]/.test(key[run.length])
    ? run.slice(0, -1).toLowerCase() + run.slice(-1) + key.slice(run.length)
    : run.toLowerCase() + key.slice(run.length);
}

/** AWS tags (`[{ Key, Value }]` from the SDK, `[{ key, value }]` in attributes) as a lookup. */
export function tagValue(tags: unknown, name: string): string | undefined {
  if (!Array.isArray(tags)) return undefined;
  for (const tag of tags as Record<string, unknown>[]) {
    const key = tag?.Key ?? tag?.key;
    if (key === name) {
      const value = tag.Value ?? tag.value;
      return typeof value === 'string' ? value : undefined;
    }
  }
  return undefined;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
