import { NormalizedSchema } from '@smithy/core/schema';
import { camelCaseKey } from '@event-cache/events';

/**
 * Which Clouddriver ObjectMapper serialized the AWS SDK for Java v1 object:
 * - `jackson`: Clouddriver's main mapper (the cluster, instance, load balancer and launch template
 *   agents): Jackson's default bean naming lower-cases a getter's whole leading run of capitals
 *   (`getVPCZoneIdentifier` -> `vpczoneIdentifier`, `getDNSName` -> `dnsname`).
 * - `amazon`: Netflix's AmazonObjectMapper (security group, subnet and VPC agents): a name that
 *   starts with two capitals is kept as it is (`VPCZoneIdentifier`, `DNSName`).
 */
export type V1Naming = 'jackson' | 'amazon';

/**
 * An AWS SDK v3 shape as our caching agents store it (`toCacheAttributes`: member names
 * camelCased, timestamps as ISO-8601 strings) turned into the map Clouddriver's agents store
 * for the same object of the AWS SDK for Java v1 (`objectMapper.convertValue(sdkObject, Map)`),
 * driven by the SDK's own schema of the shape:
 * - member names as the v1 getter names serialize (`V1Naming`);
 * - timestamps as epoch milliseconds (the agents enable `WRITE_DATES_AS_TIMESTAMPS`);
 * - list members are always present, `[]` when AWS sent none (the v1 SDK's query-protocol models
 *   create an empty `SdkInternalList` in the getter);
 * - absent members are left out (`NON_NULL`; SqlCache drops null attributes too);
 * - members the shape does not know are dropped, as a v1 object would not have them.
 */
export function toV1(schema: unknown, attributes: unknown, naming: V1Naming): Record<string, unknown> {
  return convertStruct(NormalizedSchema.of(schema as never), attributes, naming);
}

function convertStruct(schema: NormalizedSchema, value: unknown, naming: V1Naming): Record<string, unknown> {
  const source = (value ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [member, memberSchema] of members(schema)) {
    const converted = convert(memberSchema, source[ourName(member)], naming);
    if (converted !== undefined) out[v1Name(member, naming)] = converted;
  }
  return out;
}

function convert(schema: NormalizedSchema, value: unknown, naming: V1Naming): unknown {
  if (schema.isListSchema()) {
    const items = Array.isArray(value) ? value : [];
    const itemSchema = schema.getValueSchema();
    return items.map((item) => convert(itemSchema, item, naming) ?? null);
  }
  if (value === undefined || value === null) return undefined;
  if (schema.isStructSchema()) return convertStruct(schema, value, naming);
  if (schema.isMapSchema()) {
    const valueSchema = schema.getValueSchema();
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      out[k] = convert(valueSchema, v, naming);
    return out;
  }
  if (schema.isTimestampSchema()) return epochMillis(value);
  return value;
}

function epochMillis(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

const memberCache = new WeakMap<object, [string, NormalizedSchema][]>();

function members(schema: NormalizedSchema): [string, NormalizedSchema][] {
  const key = schema as unknown as object;
  let list = memberCache.get(key);
  if (!list) {
    list = [...schema.structIterator()];
    memberCache.set(key, list);
  }
  return list;
}

const nameCache = new Map<string, string>();

/** Jackson's legacy bean naming of `get<Member>` (lower-cases the leading run of capitals). */
export function jacksonName(member: string): string {
  let i = 0;
  while (i < member.length && member[i] !== member[i].toLowerCase()) i++;
  return member.slice(0, i).toLowerCase() + member.slice(i);
}

export function v1Name(member: string, naming: V1Naming): string {
  const cacheKey = `${naming}:${member}`;
  let name = nameCache.get(cacheKey);
  if (name === undefined) {
    name = naming === 'amazon' && /^[A-Z]{2}/.test(member) ? member : jacksonName(member);
    nameCache.set(cacheKey, name);
  }
  return name;
}

/** The member's name in our stored attributes (`camelCaseKey`), cached: it runs for every member. */
function ourName(member: string): string {
  const cacheKey = `ours:${member}`;
  let name = nameCache.get(cacheKey);
  if (name === undefined) {
    name = camelCaseKey(member);
    nameCache.set(cacheKey, name);
  }
  return name;
}
