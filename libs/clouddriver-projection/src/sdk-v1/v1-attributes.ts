import { NormalizedSchema } from '@smithy/core/schema';
import { camelCaseKey } from '@event-cache/events';
import { v1Member } from './v1-model';

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
 * - members the shape does not know are dropped, as a v1 object would not have them; so are the
 *   members the v1 SDK never had, and members it renamed take the v1 name (`v1-model.ts`);
 * - with the `jackson` naming, a Boolean member named `Is<Name>` is written twice: the v1 bean has
 *   `getIs<Name>()` and `is<Name>()`, and the main mapper auto-detects is-getters (`Rule.IsDefault`
 *   gives `isDefault` and `default`).
 */
export function toV1(schema: unknown, attributes: unknown, naming: V1Naming): Record<string, unknown> {
  return convertStruct(NormalizedSchema.of(schema as never), attributes, naming);
}

function convertStruct(schema: NormalizedSchema, value: unknown, naming: V1Naming): Record<string, unknown> {
  const source = (value ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const { ours, v1, isGetter, schema: memberSchema } of members(schema)) {
    const converted = convert(memberSchema, source[ours], naming);
    if (converted === undefined) continue;
    out[v1Name(v1, naming)] = converted;
    if (isGetter !== undefined && naming === 'jackson') out[isGetter] = converted;
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

/** A member of a structure: its name in our attributes, its v1 member and the is-getter's property. */
interface Member {
  ours: string;
  v1: string;
  /** `Is<Name>` Booleans: the property of the v1 bean's `is<Name>()` under the main mapper. */
  isGetter?: string;
  schema: NormalizedSchema;
}

const memberCache = new WeakMap<object, Member[]>();

function members(schema: NormalizedSchema): Member[] {
  const key = schema as unknown as object;
  let list = memberCache.get(key);
  if (!list) {
    const shape = schema.getName(true) ?? '';
    list = [];
    for (const [member, memberSchema] of schema.structIterator()) {
      const target = memberSchema.isListSchema()
        ? memberSchema.getValueSchema().getName(true)
        : memberSchema.isStructSchema()
          ? memberSchema.getName(true)
          : undefined;
      const v1 = v1Member(shape, member, target);
      if (v1 === undefined) continue;
      const isGetter =
        memberSchema.isBooleanSchema() && /^Is[A-Z]/.test(v1) ? jacksonName(v1.slice(2)) : undefined;
      list.push({ ours: ourName(member), v1, isGetter, schema: memberSchema });
    }
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
