/**
 * Cache attributes from an AWS SDK v3 output object, the shape every caching agent stores (and AWS
 * Config records configuration items in): camelCased keys (`InstanceId` -> `instanceId`,
 * `DNSName` -> `dnsName`), dates as ISO-8601 strings, undefined members and `$metadata` dropped,
 * arrays in AWS's order, values untouched. Clouddriver's own shapes (AWS SDK for Java v1 names,
 * epoch-millisecond dates) are derived from these by the Clouddriver cache projection.
 */
export function toCacheAttributes(value: object): Record<string, unknown> {
  return convert(value) as Record<string, unknown>;
}

function convert(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(convert);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      if (member === undefined || key === '$metadata') continue;
      out[camelCaseKey(key)] = convert(member);
    }
    return out;
  }
  return value;
}

/** Lowercases a leading run of capitals, keeping the one that starts the next word. */
export function camelCaseKey(key: string): string {
  const run = /^[A-Z]+/.exec(key)?.[0];
  if (!run) return key;
  if (run.length === key.length) return key.toLowerCase();
  if (run.length === 1) return run.toLowerCase() + key.slice(1);
  return /[a-z]/.test(key[run.length])
    ? run.slice(0, -1).toLowerCase() + run.slice(-1) + key.slice(run.length)
    : run.toLowerCase() + key.slice(run.length);
}
