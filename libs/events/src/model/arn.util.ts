/** `arn:<partition>:<service>:<region>:<account>:<resource>` split into its parts. */
export interface Arn {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  /** Everything after the fifth colon (may itself contain ':' and '/'). */
  readonly resource: string;
}

const ARN_PATTERN = /^arn:(aws[a-z-]*):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|):(.+)$/;

export function parseArn(value: string): Arn | undefined {
  if (value.length > 2048) return undefined;
  const m = ARN_PATTERN.exec(value);
  if (!m) return undefined;
  return { partition: m[1], service: m[2], region: m[3], account: m[4], resource: m[5] };
}

export interface ElbArnInfo {
  readonly kind: 'loadbalancer' | 'targetgroup' | 'listener' | 'listener-rule';
  /** Load balancer or target group name. */
  readonly name: string;
  /** For load balancers (and their listeners/rules): Clouddriver's type (`application`, `network`, `gateway`, or `classic`). */
  readonly loadBalancerType?: string;
  /** For listeners and rules: the ARN of the load balancer they belong to. */
  readonly loadBalancerArn?: string;
}

const ELB_TYPES: ReadonlyMap<string, string> = new Map([
  ['app', 'application'],
  ['net', 'network'],
  ['gwy', 'gateway'],
]);
const NAME = /^[A-Za-z0-9-]{1,32}$/;

/**
 * Reads the identifying parts of an ELBv2 ARN:
 * `loadbalancer/app/<name>/<id>`, `targetgroup/<name>/<id>`,
 * `listener/app/<lb-name>/<lb-id>/<id>`, `listener-rule/app/<lb-name>/<lb-id>/<listener-id>/<id>`.
 */
export function parseElbArn(value: string): ElbArnInfo | undefined {
  const arn = parseArn(value);
  if (!arn || arn.service !== 'elasticloadbalancing') return undefined;
  const parts = arn.resource.split('/');
  const base = `arn:${arn.partition}:${arn.service}:${arn.region}:${arn.account}:`;
  switch (parts[0]) {
    case 'targetgroup':
      return parts.length === 3 && NAME.test(parts[1]) ? { kind: 'targetgroup', name: parts[1] } : undefined;
    case 'loadbalancer': {
      // ELBv2: loadbalancer/<app|net|gwy>/<name>/<id>; classic ELBs have loadbalancer/<name>.
      const type = ELB_TYPES.get(parts[1]);
      if (parts.length === 4 && type !== undefined && NAME.test(parts[2])) {
        return { kind: 'loadbalancer', name: parts[2], loadBalancerType: type };
      }
      if (parts.length === 2 && NAME.test(parts[1]))
        return { kind: 'loadbalancer', name: parts[1], loadBalancerType: 'classic' };
      return undefined;
    }
    case 'listener':
    case 'listener-rule': {
      const expected = parts[0] === 'listener' ? 5 : 6;
      const type = ELB_TYPES.get(parts[1]);
      if (parts.length !== expected || type === undefined || !NAME.test(parts[2])) return undefined;
      return {
        kind: parts[0],
        name: parts[2],
        loadBalancerType: type,
        loadBalancerArn: `${base}loadbalancer/${parts[1]}/${parts[2]}/${parts[3]}`,
      };
    }
    default:
      return undefined;
  }
}
