import {
  instanceKey,
  launchTemplateKey,
  loadBalancerKey,
  securityGroupKey,
  serverGroupKey,
  subnetKey,
  targetGroupKey,
  vpcKey,
} from '../keys/cache-key.builder';
import { parseFriggaName } from '../keys/frigga-name.parser';
import { parseElbArn } from '../model/arn.util';
import { type RefreshTarget } from './decision.model';

/**
 * A resource an event names, before it is bound to a Spinnaker account. Every identifier is
 * validated against AWS's format before it gets here, so nothing untrusted ever lands in a key.
 */
export type ResourceRef =
  | { readonly type: 'instances'; readonly instanceId: string }
  | { readonly type: 'serverGroups'; readonly name: string }
  | { readonly type: 'securityGroups'; readonly id?: string; readonly name?: string; readonly vpcId?: string }
  | {
      readonly type: 'loadBalancers';
      readonly name: string;
      readonly arn?: string;
      readonly loadBalancerType?: string;
      readonly vpcId?: string;
    }
  | {
      readonly type: 'targetGroups';
      readonly name: string;
      readonly arn?: string;
      readonly targetType?: string;
      readonly vpcId?: string;
    }
  | { readonly type: 'launchTemplates'; readonly name?: string; readonly id?: string }
  | { readonly type: 'subnets'; readonly id: string }
  | { readonly type: 'vpcs'; readonly id: string };

// --- identifier formats -----------------------------------------------------------------------

const HEX_ID = (prefix: string) => new RegExp(`^${prefix}-[0-9a-f]{8}(?:[0-9a-f]{9})?$`);
export const IDS = {
  instance: HEX_ID('i'),
  securityGroup: HEX_ID('sg'),
  subnet: HEX_ID('subnet'),
  vpc: HEX_ID('vpc'),
  launchTemplate: HEX_ID('lt'),
  /** ELB and target-group names. */
  elbName: /^[A-Za-z0-9-]{1,32}$/,
  launchTemplateName: /^[A-Za-z0-9().\-/_]{3,128}$/,
  /** Security-group names: printable, no control characters. */
  securityGroupName: /^\P{Cc}{1,255}$/u,
  targetType: /^(?:instance|ip|lambda|alb)$/,
  loadBalancerType: /^(?:application|network|gateway)$/,
} as const;

function str(value: unknown, pattern: RegExp): string | undefined {
  return typeof value === 'string' && pattern.test(value) ? value : undefined;
}

export function instanceRef(id: unknown): ResourceRef | undefined {
  const instanceId = str(id, IDS.instance);
  return instanceId === undefined ? undefined : { type: 'instances', instanceId };
}

/** Only names Frigga can parse make a server-group key (no ':' can get through either). */
export function serverGroupRef(name: unknown): ResourceRef | undefined {
  if (typeof name !== 'string' || name.length > 255 || !parseFriggaName(name).valid) return undefined;
  return { type: 'serverGroups', name };
}

export function securityGroupRef(p: {
  id?: unknown;
  name?: unknown;
  vpcId?: unknown;
}): ResourceRef | undefined {
  const id = str(p.id, IDS.securityGroup);
  const name = str(p.name, IDS.securityGroupName);
  const vpcId = str(p.vpcId, IDS.vpc);
  if (id === undefined && name === undefined) return undefined;
  return { type: 'securityGroups', ...(id && { id }), ...(name && { name }), ...(vpcId && { vpcId }) };
}

/** From an ELBv2 ARN (load balancer, listener or rule): name and type; the VPC stays unknown. */
export function loadBalancerRefFromArn(arn: unknown): ResourceRef | undefined {
  if (typeof arn !== 'string') return undefined;
  const info = parseElbArn(arn);
  if (!info || info.kind === 'targetgroup') return undefined;
  return {
    type: 'loadBalancers',
    name: info.name,
    arn: info.loadBalancerArn ?? arn,
    ...(info.loadBalancerType && { loadBalancerType: info.loadBalancerType }),
  };
}

export function loadBalancerRef(p: {
  name?: unknown;
  arn?: unknown;
  type?: unknown;
  vpcId?: unknown;
}): ResourceRef | undefined {
  const fromArn = loadBalancerRefFromArn(p.arn);
  const name = fromArn?.type === 'loadBalancers' ? fromArn.name : str(p.name, IDS.elbName);
  if (name === undefined) return undefined;
  const loadBalancerType =
    str(p.type, IDS.loadBalancerType) ??
    (fromArn?.type === 'loadBalancers' ? fromArn.loadBalancerType : undefined);
  const arn = fromArn?.type === 'loadBalancers' ? fromArn.arn : undefined;
  const vpcId = str(p.vpcId, IDS.vpc);
  return {
    type: 'loadBalancers',
    name,
    ...(arn && { arn }),
    ...(loadBalancerType && { loadBalancerType }),
    ...(vpcId && { vpcId }),
  };
}

/** A classic load balancer, known by name only. */
export function classicLoadBalancerRef(name: unknown, vpcId?: unknown): ResourceRef | undefined {
  const n = str(name, IDS.elbName);
  const vpc = str(vpcId, IDS.vpc);
  return n === undefined
    ? undefined
    : { type: 'loadBalancers', name: n, loadBalancerType: 'classic', ...(vpc && { vpcId: vpc }) };
}

export function targetGroupRef(p: {
  arn?: unknown;
  name?: unknown;
  targetType?: unknown;
  vpcId?: unknown;
}): ResourceRef | undefined {
  const info = typeof p.arn === 'string' ? parseElbArn(p.arn) : undefined;
  const arn = info?.kind === 'targetgroup' ? (p.arn as string) : undefined;
  const name = arn !== undefined ? info!.name : str(p.name, IDS.elbName);
  if (name === undefined) return undefined;
  const targetType = str(p.targetType, IDS.targetType);
  const vpcId = str(p.vpcId, IDS.vpc);
  return {
    type: 'targetGroups',
    name,
    ...(arn && { arn }),
    ...(targetType && { targetType }),
    ...(vpcId && { vpcId }),
  };
}

export function launchTemplateRef(p: { name?: unknown; id?: unknown }): ResourceRef | undefined {
  const name = str(p.name, IDS.launchTemplateName);
  const id = str(p.id, IDS.launchTemplate);
  if (name === undefined && id === undefined) return undefined;
  return { type: 'launchTemplates', ...(name && { name }), ...(id && { id }) };
}

export function subnetRef(id: unknown): ResourceRef | undefined {
  const subnet = str(id, IDS.subnet);
  return subnet === undefined ? undefined : { type: 'subnets', id: subnet };
}

export function vpcRef(id: unknown): ResourceRef | undefined {
  const vpc = str(id, IDS.vpc);
  return vpc === undefined ? undefined : { type: 'vpcs', id: vpc };
}

/** Routes an EC2 resource id by its prefix (tags APIs name mixed resources). */
export function refFromEc2ResourceId(id: unknown): ResourceRef | undefined {
  if (typeof id !== 'string') return undefined;
  if (id.startsWith('i-')) return instanceRef(id);
  if (id.startsWith('sg-')) return securityGroupRef({ id });
  if (id.startsWith('subnet-')) return subnetRef(id);
  if (id.startsWith('vpc-')) return vpcRef(id);
  if (id.startsWith('lt-')) return launchTemplateRef({ id });
  return undefined;
}

// --- binding to an account --------------------------------------------------------------------

const ANY = '*';

/** Binds a reference to a Spinnaker account and region; undefined when no key can be made. */
export function toTarget(ref: ResourceRef, account: string, region: string): RefreshTarget | undefined {
  switch (ref.type) {
    case 'instances':
      return exact(
        ref.type,
        account,
        region,
        instanceKey({ account, region, instanceId: ref.instanceId }),
        ref.instanceId,
        'instanceId',
      );
    case 'serverGroups': {
      const key = serverGroupKey({ account, region, serverGroup: ref.name });
      return key === undefined
        ? undefined
        : exact(ref.type, account, region, key, ref.name, 'autoScalingGroupName');
    }
    case 'securityGroups': {
      if (ref.id !== undefined && ref.name !== undefined && ref.vpcId !== undefined) {
        const key = securityGroupKey({ name: ref.name, id: ref.id, region, account, vpcId: ref.vpcId });
        return exact(ref.type, account, region, key, ref.id, 'securityGroupId');
      }
      const key = securityGroupKey({
        name: ref.name ?? ANY,
        id: ref.id ?? ANY,
        region,
        account,
        vpcId: ref.vpcId ?? ANY,
      });
      return ref.id !== undefined
        ? partial(ref.type, account, region, key, ref.id, 'securityGroupId')
        : partial(ref.type, account, region, key, ref.name!, 'securityGroupName');
    }
    case 'loadBalancers': {
      const idKind = ref.arn !== undefined ? 'loadBalancerArn' : 'loadBalancerName';
      const id = ref.arn ?? ref.name;
      if (ref.vpcId !== undefined && ref.loadBalancerType !== undefined) {
        const key = loadBalancerKey({
          account,
          region,
          loadBalancerName: ref.name,
          vpcId: ref.vpcId,
          loadBalancerType: ref.loadBalancerType,
        });
        return exact(ref.type, account, region, key, id, idKind);
      }
      // Classic keys carry no type; an unknown ELBv2 type is a wildcard like the unknown VPC.
      const typePart = ref.loadBalancerType === 'classic' ? undefined : (ref.loadBalancerType ?? ANY);
      const key = loadBalancerKey({
        account,
        region,
        loadBalancerName: ref.name,
        vpcId: ref.vpcId ?? ANY,
        loadBalancerType: typePart,
      });
      return partial(ref.type, account, region, key, id, idKind);
    }
    case 'targetGroups': {
      const idKind = ref.arn !== undefined ? 'targetGroupArn' : 'targetGroupName';
      const id = ref.arn ?? ref.name;
      const complete =
        ref.targetType !== undefined && (ref.vpcId !== undefined || ref.targetType === 'lambda');
      const key = targetGroupKey({
        account,
        region,
        targetGroupName: ref.name,
        targetType: ref.targetType ?? ANY,
        vpcId: complete ? (ref.vpcId ?? null) : (ref.vpcId ?? ANY),
      });
      return complete
        ? exact(ref.type, account, region, key, id, idKind)
        : partial(ref.type, account, region, key, id, idKind);
    }
    case 'launchTemplates': {
      const key = launchTemplateKey({ account, region, launchTemplateName: ref.name ?? ANY });
      if (ref.name !== undefined)
        return exact(ref.type, account, region, key, ref.name, 'launchTemplateName');
      return partial(ref.type, account, region, key, ref.id!, 'launchTemplateId');
    }
    case 'subnets':
      return exact(ref.type, account, region, subnetKey({ id: ref.id, account, region }), ref.id, 'subnetId');
    case 'vpcs':
      return exact(ref.type, account, region, vpcKey({ id: ref.id, account, region }), ref.id, 'vpcId');
  }
}

function exact(
  type: RefreshTarget['type'],
  account: string,
  region: string,
  key: string,
  id: string,
  idKind: RefreshTarget['idKind'],
): RefreshTarget {
  return { type, account, region, key, partial: false, id, idKind };
}

function partial(
  type: RefreshTarget['type'],
  account: string,
  region: string,
  key: string,
  id: string,
  idKind: RefreshTarget['idKind'],
): RefreshTarget {
  return { type, account, region, key, partial: true, id, idKind };
}
