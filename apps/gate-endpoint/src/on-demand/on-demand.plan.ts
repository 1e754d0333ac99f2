import {
  loadBalancerKey,
  type ParsedCacheKey,
  parseCacheKey,
  type RefreshTarget,
  securityGroupKey,
  serverGroupKey,
} from '@event-cache/events';
import { z } from 'zod';

/** Clouddriver's on-demand types we serve, and the cache type of their keys. */
export const ON_DEMAND_TYPES = {
  ServerGroup: 'serverGroups',
  LoadBalancer: 'loadBalancers',
  SecurityGroup: 'securityGroups',
} as const;
export type OnDemandType = keyof typeof ON_DEMAND_TYPES;

const BY_LOWER = new Map<string, OnDemandType>(
  (Object.keys(ON_DEMAND_TYPES) as OnDemandType[]).flatMap((t) => [
    [t.toLowerCase(), t],
    [`${t.toLowerCase()}s`, t],
  ]),
);

/** `{type}` of `/cache/aws/{type}`, case-insensitive (`ServerGroup`, `servergroup`, `serverGroups` ...). */
export function onDemandType(raw: string): OnDemandType | undefined {
  return BY_LOWER.get(raw.toLowerCase());
}

/** Clouddriver keeps on-demand entries visible this long (its default cache TTL): Orca polls meanwhile. */
export const ON_DEMAND_TTL_MS = 10 * 60_000;

// Bodies as Orca sends them. Unknown fields are ignored; optional fields may be null or empty
// (Orca sends nulls, and `""` for a VPC it does not know: Delete Load Balancer sends `vpcId: ""`);
// wrong types and malformed identifiers are a 400. Account and region are only checked against the
// configuration later: an unknown one answers 200 (nothing to wait for), never 4xx.
const account = z.string().min(1).max(128);
const region = z.string().min(1).max(64);
/** ASG names: printable ASCII without ':' (it separates key parts). */
const asgName = z.string().regex(/^[\x21-\x39\x3b-\x7e]{1,255}$/, 'an Auto Scaling group name');
const elbName = z.string().regex(/^[A-Za-z0-9-]{1,32}$/, 'a load balancer name');
const vpcId = z.string().regex(/^vpc-[0-9a-f]{8}(?:[0-9a-f]{9})?$/, 'a VPC id');
const securityGroupName = z.string().regex(/^\P{Cc}{1,255}$/u, 'a security group name');

/** An optional field: absent, null or `""` all mean "not given". */
const optional = <T extends z.ZodType<string>>(schema: T) =>
  z
    .union([z.literal(''), schema])
    .nullable()
    .transform((v) => (v === '' ? null : (v as z.output<T> | null)))
    .optional();

export const ON_DEMAND_BODIES = {
  ServerGroup: z
    .looseObject({
      account,
      region,
      asgName: optional(asgName),
      serverGroupName: optional(asgName),
      zone: optional(z.string().max(64)),
    })
    .refine((b) => Boolean(b.asgName ?? b.serverGroupName), {
      message: 'asgName or serverGroupName is required',
      path: ['asgName'],
    })
    .refine((b) => !b.asgName || !b.serverGroupName || b.asgName === b.serverGroupName, {
      message: 'asgName and serverGroupName name different server groups',
      path: ['serverGroupName'],
    }),
  LoadBalancer: z.looseObject({
    account,
    region,
    loadBalancerName: elbName,
    loadBalancerType: optional(z.enum(['classic', 'application', 'network', 'gateway'])),
    vpcId: optional(vpcId),
    evict: z.boolean().nullish(),
  }),
  SecurityGroup: z.looseObject({
    account,
    region,
    securityGroupName: optional(securityGroupName),
    vpcId: optional(vpcId),
    evict: z.boolean().nullish(),
  }),
} as const;

export type OnDemandBody<T extends OnDemandType> = z.output<(typeof ON_DEMAND_BODIES)[T]>;

/** What an on-demand call asks for: one refresh target, a whole agent run, or nothing cacheable. */
export type OnDemandPlan =
  | { kind: 'refresh'; target: RefreshTarget; extra: Record<string, string> }
  | { kind: 'run_agent'; agentKind: string }
  | { kind: 'nothing'; why: string };

const ANY = '*';

/**
 * The refresh an on-demand body asks for, with keys in the same conventions as the decision logic:
 * exact keys when the body names every part, otherwise a partial target (a glob with `*` for the
 * unknown parts) that the refresher resolves by name. An eviction request is a refresh too: the
 * cache is only written from AWS reads, and a read that finds nothing evicts.
 */
export function planOnDemand(type: OnDemandType, body: OnDemandBody<OnDemandType>): OnDemandPlan {
  const { account, region } = body;
  switch (type) {
    case 'ServerGroup': {
      const b = body as OnDemandBody<'ServerGroup'>;
      const name = (b.asgName ?? b.serverGroupName)!;
      const key = serverGroupKey({ account, region, serverGroup: name });
      if (key === undefined)
        return { kind: 'nothing', why: 'the name does not follow the Frigga naming convention' };
      return {
        kind: 'refresh',
        target: target('serverGroups', b, key, false, name, 'autoScalingGroupName'),
        extra: {},
      };
    }
    case 'LoadBalancer': {
      const b = body as OnDemandBody<'LoadBalancer'>;
      const lbType = b.loadBalancerType ?? undefined;
      const exact = Boolean(b.vpcId && lbType);
      const key = loadBalancerKey({
        account,
        region,
        loadBalancerName: b.loadBalancerName,
        vpcId: b.vpcId ?? ANY,
        // Classic keys carry no type; an unknown ELBv2 type is a wildcard like an unknown VPC.
        loadBalancerType: lbType === 'classic' ? undefined : (lbType ?? ANY),
      });
      return {
        kind: 'refresh',
        target: target('loadBalancers', b, key, !exact, b.loadBalancerName, 'loadBalancerName'),
        extra: b.vpcId ? { vpcId: b.vpcId } : {},
      };
    }
    case 'SecurityGroup': {
      const b = body as OnDemandBody<'SecurityGroup'>;
      // Clouddriver reloads every security group of the account/region when no name is given.
      if (!b.securityGroupName) return { kind: 'run_agent', agentKind: 'SecurityGroupCachingAgent' };
      const key = securityGroupKey({
        name: b.securityGroupName,
        id: ANY,
        region,
        account,
        vpcId: b.vpcId ?? ANY,
      });
      return {
        kind: 'refresh',
        target: target('securityGroups', b, key, true, b.securityGroupName, 'securityGroupName'),
        extra: b.vpcId ? { vpcId: b.vpcId } : {},
      };
    }
  }
}

function target(
  type: RefreshTarget['type'],
  body: { account: string; region: string },
  key: string,
  partial: boolean,
  id: string,
  idKind: RefreshTarget['idKind'],
): RefreshTarget {
  return { type, account: body.account, region: body.region, key, partial, id, idKind };
}

/** Orca's `details` (Clouddriver's `Keys.parse`) of a key or glob; unknown (`*`) parts are null. */
export function keyDetails(key: string): Record<string, string | null> {
  const parsed: ParsedCacheKey | undefined = parseCacheKey(key);
  if (!parsed) return {};
  return Object.fromEntries(
    Object.entries(parsed).map(([k, v]) => [k, v === ANY ? null : (v as string | null)]),
  );
}

/** Clouddriver's moniker of an on-demand entry, from its details. */
export function monikerOf(details: Record<string, string | null>) {
  return {
    app: details.application ?? null,
    cluster: details.cluster ?? null,
    stack: details.stack ?? null,
    detail: details.detail ?? null,
    sequence: details.sequence ? Number(details.sequence) : null,
  };
}
