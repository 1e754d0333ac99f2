import { AWS_PROVIDER, type ParsedCacheKey } from './cache-key.model';
import { parseFriggaName } from './frigga-name.parser';

/**
 * Parses a Clouddriver AWS cache key of one of the types in `CACHE_KEY_TYPES` into its named parts,
 * with the same field names as Clouddriver's `Keys.parse` (a server-group key yields exactly the
 * `details` object Orca matches on). Returns undefined for anything else: another provider or
 * namespace, a wrong number of parts, an empty required part, or a server-group name that does
 * not follow Frigga. A `"null"` vpcId is returned as null.
 */
export function parseCacheKey(key: string): ParsedCacheKey | undefined {
  if (typeof key !== 'string' || key.length > 4096) return undefined;
  const parts = key.split(':');
  if (parts.length < 3 || parts[0] !== AWS_PROVIDER) return undefined;
  const provider = AWS_PROVIDER;
  switch (parts[1]) {
    case 'instances': {
      if (!exactly(parts, 5)) return undefined;
      return { provider, type: 'instances', account: parts[2], region: parts[3], instanceId: parts[4] };
    }
    case 'serverGroups': {
      if (!exactly(parts, 6)) return undefined;
      const names = parseFriggaName(parts[5]);
      if (!names.valid || names.app === null) return undefined;
      return {
        provider,
        type: 'serverGroups',
        application: names.app.toLowerCase(),
        cluster: parts[2],
        account: parts[3],
        region: parts[4],
        serverGroup: parts[5],
        stack: names.stack,
        detail: names.detail,
        sequence: names.sequence === null ? null : String(names.sequence),
      };
    }
    case 'clusters': {
      if (!exactly(parts, 5)) return undefined;
      const names = parseFriggaName(parts[4]);
      return {
        provider,
        type: 'clusters',
        application: parts[2].toLowerCase(),
        account: parts[3],
        cluster: parts[4],
        stack: names.stack,
        detail: names.detail,
      };
    }
    case 'applications': {
      if (!exactly(parts, 3)) return undefined;
      return { provider, type: 'applications', application: parts[2].toLowerCase() };
    }
    case 'launchTemplates': {
      if (!exactly(parts, 5)) return undefined;
      const names = parseFriggaName(parts[4]);
      return {
        provider,
        type: 'launchTemplates',
        account: parts[2],
        region: parts[3],
        launchTemplateName: parts[4],
        application: names.app === null ? null : names.app.toLowerCase(),
        stack: names.stack,
      };
    }
    case 'loadBalancers': {
      if (parts.length < 5 || parts.length > 7 || !filled(parts, 2, 5)) return undefined;
      const names = parseFriggaName(parts[4]);
      const vpcId = parts.length > 5 && parts[5] !== '' ? parts[5] : null;
      return {
        provider,
        type: 'loadBalancers',
        account: parts[2],
        region: parts[3],
        loadBalancer: parts[4],
        vpcId,
        loadBalancerType: vpcId !== null && parts.length > 6 && parts[6] !== '' ? parts[6] : 'classic',
        application: names.app === null ? null : names.app.toLowerCase(),
        stack: names.stack,
        detail: names.detail,
      };
    }
    case 'targetGroups': {
      if (parts.length < 6 || parts.length > 7 || !filled(parts, 2, 6)) return undefined;
      const names = parseFriggaName(parts[4]);
      return {
        provider,
        type: 'targetGroups',
        account: parts[2],
        region: parts[3],
        targetGroup: parts[4],
        targetType: parts[5],
        vpcId: parts.length > 6 ? nullable(parts[6]) : null,
        application: names.app === null ? null : names.app.toLowerCase(),
        stack: names.stack,
        detail: names.detail,
      };
    }
    case 'securityGroups': {
      // Security-group names may legally contain ':'; the four trailing parts are fixed.
      if (parts.length < 7) return undefined;
      const n = parts.length;
      const name = parts.slice(2, n - 4).join(':');
      const [id, region, account, vpc] = parts.slice(n - 4);
      if (name === '' || id === '' || region === '' || account === '') return undefined;
      return {
        provider,
        type: 'securityGroups',
        name,
        id,
        region,
        account,
        vpcId: nullable(vpc),
        application: parseFriggaName(name).app,
      };
    }
    case 'subnets':
    case 'vpcs': {
      if (!exactly(parts, 5)) return undefined;
      return { provider, type: parts[1], id: parts[2], account: parts[3], region: parts[4] };
    }
    default:
      return undefined;
  }
}

function exactly(parts: readonly string[], count: number): boolean {
  return parts.length === count && filled(parts, 2, count);
}

function filled(parts: readonly string[], from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (parts[i] === '') return false;
  return true;
}

function nullable(part: string): string | null {
  return part === '' || part === 'null' ? null : part;
}
