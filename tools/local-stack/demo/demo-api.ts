import type {
  Instance,
  LaunchTemplate,
  LaunchTemplateVersion,
  Reservation,
  SecurityGroup,
  Subnet,
  Tag,
  Vpc,
} from '@aws-sdk/client-ec2';
import { WireError, type WireOperation } from './aws-wire';
import type { DemoEstate } from './demo-estate';

type Input = Record<string, unknown>;
type Fields<T> = Record<string, (item: T) => readonly (string | undefined)[]>;

/**
 * The answer of the demo estate to one AWS call, as the SDK's output shape: the Describe calls
 * the caching agents make, with AWS's filters, id lists, pagination (NextToken / Marker) and
 * not-found errors. Any other `Describe*` call of a served service answers its output with every
 * list empty (a new agent's read runs green against the estate); anything else is refused: the
 * estate is read-only.
 */
export function answer(estate: DemoEstate, operation: WireOperation, input: Input): object {
  const handler = HANDLERS[`${operation.service.name}:${operation.name}`];
  if (handler) return handler(estate, input);
  if (operation.name.startsWith('Describe')) return emptyLists(operation);
  throw new WireError(
    'UnsupportedOperation',
    `${operation.name} is not simulated: the demo estate answers Describe calls only`,
  );
}

const HANDLERS: Record<string, (estate: DemoEstate, input: Input) => object> = {
  // --- EC2 ----------------------------------------------------------------------------------------
  'ec2:DescribeInstances': (estate, input) => {
    if (strings(input.InstanceIds)?.length && input.MaxResults !== undefined)
      throw new WireError(
        'InvalidParameterCombination',
        'The parameter instancesSet cannot be used with the parameter maxResults',
      );
    return describeEc2(input, {
      list: 'Reservations',
      all: estate.instances(),
      ids: [
        {
          param: 'InstanceIds',
          idOf: (i) => i.InstanceId,
          missing: ec2NotFound('InvalidInstanceID.NotFound', 'instance ID'),
        },
      ],
      filters: INSTANCE_FILTERS,
      shape: (items) => reservations(estate, items),
    });
  },
  'ec2:DescribeSecurityGroups': (estate, input) =>
    describeEc2<SecurityGroup>(input, {
      list: 'SecurityGroups',
      all: estate.securityGroups,
      ids: [
        {
          param: 'GroupIds',
          idOf: (g) => g.GroupId,
          missing: ec2NotFound('InvalidGroup.NotFound', 'security group'),
        },
        {
          param: 'GroupNames',
          idOf: (g) => g.GroupName,
          missing: ec2NotFound('InvalidGroup.NotFound', 'security group'),
        },
      ],
      filters: {
        'group-id': (g) => [g.GroupId],
        'group-name': (g) => [g.GroupName],
        'vpc-id': (g) => [g.VpcId],
        'owner-id': (g) => [g.OwnerId],
        description: (g) => [g.Description],
        ...tagFilters((g) => g.Tags),
      },
    }),
  'ec2:DescribeSubnets': (estate, input) =>
    describeEc2<Subnet>(input, {
      list: 'Subnets',
      all: estate.subnets,
      ids: [
        {
          param: 'SubnetIds',
          idOf: (s) => s.SubnetId,
          missing: ec2NotFound('InvalidSubnetID.NotFound', 'subnet ID'),
        },
      ],
      filters: {
        'subnet-id': (s) => [s.SubnetId],
        'vpc-id': (s) => [s.VpcId],
        'availability-zone': (s) => [s.AvailabilityZone],
        'cidr-block': (s) => [s.CidrBlock],
        state: (s) => [s.State],
        ...tagFilters((s) => s.Tags),
      },
    }),
  'ec2:DescribeVpcs': (estate, input) =>
    describeEc2<Vpc>(input, {
      list: 'Vpcs',
      all: estate.vpcs,
      ids: [
        { param: 'VpcIds', idOf: (v) => v.VpcId, missing: ec2NotFound('InvalidVpcID.NotFound', 'vpc ID') },
      ],
      filters: {
        'vpc-id': (v) => [v.VpcId],
        'cidr-block': (v) => [v.CidrBlock],
        state: (v) => [v.State],
        'is-default': (v) => [String(v.IsDefault)],
        ...tagFilters((v) => v.Tags),
      },
    }),
  'ec2:DescribeLaunchTemplates': (estate, input) =>
    describeEc2<LaunchTemplate>(input, {
      list: 'LaunchTemplates',
      all: [...estate.launchTemplates.values()].map((t) => t.template),
      ids: [
        {
          param: 'LaunchTemplateIds',
          idOf: (t) => t.LaunchTemplateId,
          missing: ec2NotFound('InvalidLaunchTemplateId.NotFound', 'launch template ID'),
        },
        {
          param: 'LaunchTemplateNames',
          idOf: (t) => t.LaunchTemplateName,
          // AWS names no template in this one.
          missing: () =>
            new WireError(
              'InvalidLaunchTemplateName.NotFoundException',
              'At least one of the launch templates specified in the request does not exist.',
            ),
        },
      ],
      filters: {
        'launch-template-name': (t) => [t.LaunchTemplateName],
        'create-time': (t) => [t.CreateTime?.toISOString()],
        ...tagFilters((t) => t.Tags),
      },
      limits: TEMPLATE_PAGE,
    }),
  'ec2:DescribeLaunchTemplateVersions': (estate, input) => {
    const id = typeof input.LaunchTemplateId === 'string' ? input.LaunchTemplateId : undefined;
    const name = typeof input.LaunchTemplateName === 'string' ? input.LaunchTemplateName : undefined;
    const wanted = strings(input.Versions);
    const templates = [...estate.launchTemplates.values()].filter(
      (t) =>
        (id === undefined || t.template.LaunchTemplateId === id) &&
        (name === undefined || t.template.LaunchTemplateName === name),
    );
    if ((id !== undefined || name !== undefined) && templates.length === 0)
      throw id !== undefined
        ? ec2NotFound('InvalidLaunchTemplateId.NotFound', 'launch template ID')([id])
        : new WireError(
            'InvalidLaunchTemplateName.NotFoundException',
            `The specified launch template, with template name ${name}, does not exist.`,
          );
    if (id === undefined && name === undefined && wanted?.some((v) => v !== '$Latest' && v !== '$Default'))
      throw new WireError(
        'InvalidParameterCombination',
        'Specify a launch template when asking for versions other than $Latest and $Default.',
      );
    const versions = templates.flatMap((t) =>
      t.versions.filter((v) => wanted === undefined || wanted.some((w) => isVersion(w, v, t.template))),
    );
    const { items, next } = page(
      filtered(versions, input, {
        'is-default-version': (v) => [String(v.DefaultVersion)],
        'image-id': (v) => [v.LaunchTemplateData?.ImageId],
        'instance-type': (v) => [v.LaunchTemplateData?.InstanceType],
      }),
      input.NextToken,
      input.MaxResults,
      TEMPLATE_PAGE,
    );
    return { LaunchTemplateVersions: items, NextToken: next };
  },

  // --- Auto Scaling ---------------------------------------------------------------------------------
  'autoScaling:DescribeAutoScalingGroups': (estate, input) => {
    const names = strings(input.AutoScalingGroupNames);
    const all = [...estate.groups.values()].sort(byName((g) => g.AutoScalingGroupName));
    // Unknown names are simply absent, as in AWS.
    const found = names ? all.filter((g) => names.includes(g.AutoScalingGroupName!)) : all;
    const { items, next } = page(found, input.NextToken, input.MaxRecords, ASG_PAGE);
    return { AutoScalingGroups: items, NextToken: next };
  },
  'autoScaling:DescribePolicies': (estate, input) => {
    const group = typeof input.AutoScalingGroupName === 'string' ? input.AutoScalingGroupName : undefined;
    const names = strings(input.PolicyNames);
    const types = strings(input.PolicyTypes);
    const found = estate.policies.filter(
      (p) =>
        (group === undefined || p.AutoScalingGroupName === group) &&
        (names === undefined || names.includes(p.PolicyName!) || names.includes(p.PolicyARN!)) &&
        (types === undefined || types.includes(p.PolicyType!)),
    );
    const { items, next } = page(found, input.NextToken, input.MaxRecords, ASG_PAGE);
    return { ScalingPolicies: items, NextToken: next };
  },
  'autoScaling:DescribeScheduledActions': (estate, input) => {
    const group = typeof input.AutoScalingGroupName === 'string' ? input.AutoScalingGroupName : undefined;
    const names = strings(input.ScheduledActionNames);
    const found = estate.scheduledActions.filter(
      (a) =>
        (group === undefined || a.AutoScalingGroupName === group) &&
        (names === undefined || names.includes(a.ScheduledActionName!)),
    );
    const { items, next } = page(found, input.NextToken, input.MaxRecords, ASG_PAGE);
    return { ScheduledUpdateGroupActions: items, NextToken: next };
  },

  // --- ELBv2 ----------------------------------------------------------------------------------------
  'elasticLoadBalancingV2:DescribeLoadBalancers': (estate, input) => {
    let found = byIds(
      estate.loadBalancers,
      strings(input.LoadBalancerArns),
      (l) => l.LoadBalancerArn,
      () => lbNotFound(),
    );
    found = byIds(
      found,
      strings(input.Names),
      (l) => l.LoadBalancerName,
      () => lbNotFound(),
    );
    const { items, next } = page(found, input.Marker, input.PageSize, ELB_PAGE);
    return { LoadBalancers: items, NextMarker: next };
  },
  'elasticLoadBalancingV2:DescribeTargetGroups': (estate, input) => {
    let found = estate.targetGroups;
    if (typeof input.LoadBalancerArn === 'string') {
      const arn = input.LoadBalancerArn;
      if (!estate.loadBalancers.some((l) => l.LoadBalancerArn === arn)) throw lbNotFound();
      found = found.filter((t) => t.LoadBalancerArns?.includes(arn));
    }
    found = byIds(
      found,
      strings(input.TargetGroupArns),
      (t) => t.TargetGroupArn,
      () => tgNotFound(),
    );
    found = byIds(
      found,
      strings(input.Names),
      (t) => t.TargetGroupName,
      () => tgNotFound(),
    );
    const { items, next } = page(found, input.Marker, input.PageSize, ELB_PAGE);
    return { TargetGroups: items, NextMarker: next };
  },
  'elasticLoadBalancingV2:DescribeListeners': (estate, input) => {
    let found = estate.listeners;
    if (typeof input.LoadBalancerArn === 'string') {
      const arn = input.LoadBalancerArn;
      if (!estate.loadBalancers.some((l) => l.LoadBalancerArn === arn)) throw lbNotFound();
      found = found.filter((l) => l.LoadBalancerArn === arn);
    }
    found = byIds(
      found,
      strings(input.ListenerArns),
      (l) => l.ListenerArn,
      () => new WireError('ListenerNotFound', 'One or more listeners not found'),
    );
    const { items, next } = page(found, input.Marker, input.PageSize, ELB_PAGE);
    return { Listeners: items, NextMarker: next };
  },
  'elasticLoadBalancingV2:DescribeRules': (estate, input) => {
    let found = estate.rules;
    if (typeof input.ListenerArn === 'string') {
      const arn = input.ListenerArn;
      if (!estate.listeners.some((l) => l.ListenerArn === arn))
        throw new WireError('ListenerNotFound', 'One or more listeners not found');
      found = found.filter((r) => estate.listenerOfRule(r) === arn);
    }
    found = byIds(
      found,
      strings(input.RuleArns),
      (r) => r.RuleArn,
      () => new WireError('RuleNotFound', 'One or more rules not found'),
    );
    const { items, next } = page(found, input.Marker, input.PageSize, ELB_PAGE);
    return { Rules: items, NextMarker: next };
  },
  'elasticLoadBalancingV2:DescribeLoadBalancerAttributes': (estate, input) => {
    if (!estate.loadBalancers.some((l) => l.LoadBalancerArn === input.LoadBalancerArn)) throw lbNotFound();
    return {
      Attributes: [
        { Key: 'deletion_protection.enabled', Value: 'false' },
        { Key: 'idle_timeout.timeout_seconds', Value: '60' },
        { Key: 'routing.http2.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'false' },
      ],
    };
  },
  'elasticLoadBalancingV2:DescribeTargetGroupAttributes': (estate, input) => {
    if (!estate.targetGroups.some((t) => t.TargetGroupArn === input.TargetGroupArn)) throw tgNotFound();
    return {
      Attributes: [
        { Key: 'deregistration_delay.timeout_seconds', Value: '30' },
        { Key: 'stickiness.enabled', Value: 'false' },
        { Key: 'stickiness.type', Value: 'lb_cookie' },
        { Key: 'load_balancing.algorithm.type', Value: 'round_robin' },
        { Key: 'slow_start.duration_seconds', Value: '0' },
      ],
    };
  },
  'elasticLoadBalancingV2:DescribeTargetHealth': (estate, input) => {
    const arn = input.TargetGroupArn;
    if (typeof arn !== 'string' || !estate.targetGroups.some((t) => t.TargetGroupArn === arn))
      throw tgNotFound();
    const targets = (input.Targets as { Id?: string }[] | undefined)?.map((t) => t.Id);
    const health = estate.targetHealth(arn);
    return {
      TargetHealthDescriptions: targets ? health.filter((h) => targets.includes(h.Target?.Id)) : health,
    };
  },

  // --- CloudWatch -----------------------------------------------------------------------------------
  'cloudWatch:DescribeAlarms': (estate, input) => {
    const names = strings(input.AlarmNames);
    const prefix = typeof input.AlarmNamePrefix === 'string' ? input.AlarmNamePrefix : undefined;
    const types = strings(input.AlarmTypes) ?? ['MetricAlarm'];
    const found = types.includes('MetricAlarm')
      ? estate.alarms
          .filter(
            (a) =>
              (names === undefined || names.includes(a.AlarmName!)) &&
              (prefix === undefined || a.AlarmName!.startsWith(prefix)) &&
              (input.StateValue === undefined || a.StateValue === input.StateValue),
          )
          .sort(byName((a) => a.AlarmName))
      : [];
    const { items, next } = page(found, input.NextToken, input.MaxRecords, {
      min: 1,
      max: 100,
      fallback: 50,
      code: 'InvalidParameterValue',
      tokenCode: 'InvalidNextToken',
    });
    return { MetricAlarms: items, CompositeAlarms: [], NextToken: next };
  },
};

// --- helpers ---------------------------------------------------------------------------------------

const INSTANCE_FILTERS: Fields<Instance> = {
  'instance-id': (i) => [i.InstanceId],
  'instance-state-name': (i) => [i.State?.Name],
  'instance-state-code': (i) => [String(i.State?.Code)],
  'instance-type': (i) => [i.InstanceType],
  'image-id': (i) => [i.ImageId],
  'vpc-id': (i) => [i.VpcId],
  'subnet-id': (i) => [i.SubnetId],
  'availability-zone': (i) => [i.Placement?.AvailabilityZone],
  'private-ip-address': (i) => [i.PrivateIpAddress],
  'instance.group-id': (i) => (i.SecurityGroups ?? []).map((g) => g.GroupId),
  'instance.group-name': (i) => (i.SecurityGroups ?? []).map((g) => g.GroupName),
  ...tagFilters((i) => i.Tags),
};

interface PageLimits {
  min: number;
  max: number;
  fallback: number;
  /** Error code of a page size out of range, and of a token the estate did not hand out. */
  code: string;
  tokenCode: string;
}

const EC2_PAGE: PageLimits = {
  min: 5,
  max: 1_000,
  fallback: 1_000,
  code: 'InvalidParameterValue',
  tokenCode: 'InvalidPaginationToken',
};
const TEMPLATE_PAGE: PageLimits = { ...EC2_PAGE, min: 1, max: 200, fallback: 200 };
const ASG_PAGE: PageLimits = {
  min: 1,
  max: 100,
  fallback: 50,
  code: 'ValidationError',
  tokenCode: 'InvalidNextToken',
};
const ELB_PAGE: PageLimits = {
  min: 1,
  max: 400,
  fallback: 400,
  code: 'ValidationError',
  tokenCode: 'ValidationError',
};

/** One page: the token is where the next page starts, opaque to callers as AWS's are. */
function page<T>(
  all: readonly T[],
  token: unknown,
  size: unknown,
  limits: PageLimits,
): { items: T[]; next?: string } {
  const n = typeof size === 'number' ? size : limits.fallback;
  if (!Number.isInteger(n) || n < limits.min || n > limits.max)
    throw new WireError(limits.code, `The page size must be between ${limits.min} and ${limits.max}`);
  let start = 0;
  if (typeof token === 'string' && token !== '') {
    const decoded = /^demo-page:(\d{1,9})$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!decoded) throw new WireError(limits.tokenCode, 'The pagination token is not valid');
    start = Number(decoded[1]);
  }
  const items = all.slice(start, start + n);
  const next =
    start + n < all.length ? Buffer.from(`demo-page:${start + n}`).toString('base64url') : undefined;
  return { items, next };
}

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
}

/** `items` whose id is in `ids` (all of them when no ids were asked for); unknown ids fail the call. */
function byIds<T>(
  items: readonly T[],
  ids: string[] | undefined,
  idOf: (item: T) => string | undefined,
  missing: (ids: string[]) => WireError,
): T[] {
  if (ids === undefined || ids.length === 0) return [...items];
  const known = new Map(items.map((item) => [idOf(item), item]));
  const absent = ids.filter((id) => !known.has(id));
  if (absent.length > 0) throw missing([...new Set(absent)]);
  return [...new Set(ids)].map((id) => known.get(id)!);
}

/** EC2's not-found error, whose message names the ids (`The instance IDs 'i-1, i-2' do not exist`). */
function ec2NotFound(code: string, what: string): (ids: string[]) => WireError {
  return (ids) =>
    ids.length === 1
      ? new WireError(code, `The ${what} '${ids[0]}' does not exist`)
      : new WireError(code, `The ${what}s '${ids.join(', ')}' do not exist`);
}

interface Ec2Describe<T> {
  /** The output's list member. */
  list: string;
  all: readonly T[];
  /** Id-list parameters: any id not found fails the call. */
  ids: { param: string; idOf: (item: T) => string | undefined; missing: (ids: string[]) => WireError }[];
  filters: Fields<T>;
  limits?: PageLimits;
  /** The list's items from the resources of the page (instances are wrapped in reservations). */
  shape?: (items: T[]) => unknown[];
}

/** An EC2 Describe call: the id lists, then the filters, then one page (`MaxResults`, `NextToken`). */
function describeEc2<T>(input: Input, spec: Ec2Describe<T>): object {
  let found = [...spec.all];
  for (const id of spec.ids) found = byIds(found, strings(input[id.param]), id.idOf, id.missing);
  const { items, next } = page(
    filtered(found, input, spec.filters),
    input.NextToken,
    input.MaxResults,
    spec.limits ?? EC2_PAGE,
  );
  return { [spec.list]: spec.shape ? spec.shape(items) : items, NextToken: next };
}

const lbNotFound = () => new WireError('LoadBalancerNotFound', 'One or more load balancers not found');
const tgNotFound = () => new WireError('TargetGroupNotFound', 'One or more target groups not found');

/** EC2 filters: every filter must match one of its values (`*` and `?` wildcards); unknown names fail. */
function filtered<T>(items: readonly T[], input: Input, fields: Fields<T>): T[] {
  const filters = (input.Filters as { Name?: string; Values?: string[] }[] | undefined) ?? [];
  const tests = filters.map(({ Name, Values }) => {
    const name = Name ?? '';
    const field = Object.hasOwn(fields, name)
      ? fields[name]
      : name.startsWith('tag:') && Object.hasOwn(fields, 'tag-key')
        ? tagValue(name.slice(4))
        : undefined;
    if (!field) throw new WireError('InvalidParameterValue', `The filter '${name.slice(0, 100)}' is invalid`);
    const patterns = (Values ?? []).map(wildcard);
    return (item: T) => field(item as never).some((v) => v !== undefined && patterns.some((p) => p.test(v)));
  });
  return items.filter((item) => tests.every((test) => test(item)));
}

function tagFilters<T>(tags: (item: T) => Tag[] | undefined): Fields<T> {
  return {
    'tag-key': (item) => (tags(item) ?? []).map((t) => t.Key),
    'tag-value': (item) => (tags(item) ?? []).map((t) => t.Value),
  };
}

function tagValue(key: string) {
  return (item: { Tags?: Tag[] }) => (item.Tags ?? []).filter((t) => t.Key === key).map((t) => t.Value);
}

function wildcard(value: string): RegExp {
  const body = value
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** Instances grouped by the reservation (launch) they came from, as DescribeInstances returns them. */
function reservations(estate: DemoEstate, instances: Instance[]): Reservation[] {
  return instances.map((instance) => ({
    ReservationId: estate.reservationOf(instance),
    OwnerId: estate.accountId,
    RequesterId: '226008221399', // Auto Scaling launched them
    Groups: [],
    Instances: [instance],
  }));
}

function isVersion(
  wanted: string,
  version: LaunchTemplateVersion,
  template: { LatestVersionNumber?: number; DefaultVersionNumber?: number },
): boolean {
  if (wanted === '$Latest') return version.VersionNumber === template.LatestVersionNumber;
  if (wanted === '$Default') return version.VersionNumber === template.DefaultVersionNumber;
  return String(version.VersionNumber) === wanted;
}

const byName =
  <T>(name: (item: T) => string | undefined) =>
  (a: T, b: T) =>
    (name(a) ?? '').localeCompare(name(b) ?? '');

/** Every list member of the output empty, nothing else: an account that has none of these. */
function emptyLists(operation: WireOperation): object {
  const out: Record<string, unknown[]> = {};
  for (const [member, schema] of operation.output.structIterator())
    if (schema.isListSchema()) out[member] = [];
  return out;
}
