import { type JsonObject, type JsonValue, isJsonObject, ownValue } from '../json/json.model';
import { type CloudTrailApiCallEvent } from '../model/event.model';
import {
  type ResourceRef,
  classicLoadBalancerRef,
  instanceRef,
  launchTemplateRef,
  loadBalancerRef,
  loadBalancerRefFromArn,
  refFromEc2ResourceId,
  securityGroupRef,
  serverGroupRef,
  subnetRef,
  targetGroupRef,
  vpcRef,
} from './resource.refs';

/*
 * Which resources a CloudTrail write names, per API. Identifiers come from requestParameters and
 * responseElements; CloudTrail's shapes vary by API generation (EC2 query APIs log
 * `instancesSet: {items: [...]}`, newer EC2 APIs wrap parameters in `<Action>Request` /
 * `<Action>Response` objects), so the readers look one wrapper level deep and search a bounded
 * number of nodes. Values of the wrong type are skipped, never coerced.
 */

type Extractor = (req: JsonObject | null, res: JsonObject | null) => (ResourceRef | undefined)[];

export interface CloudTrailRefs {
  /** False when the API is not one we act on. */
  readonly supported: boolean;
  readonly refs: readonly ResourceRef[];
}

export function cloudTrailRefs(event: CloudTrailApiCallEvent): CloudTrailRefs {
  const extract = EXTRACTORS.get(`${event.source}:${event.detail.eventName}`);
  if (extract === undefined) return { supported: false, refs: [] };
  const { requestParameters: req, responseElements: res } = event.detail;
  const refs: ResourceRef[] = [];
  for (const ref of extract(req, res)) if (ref !== undefined) refs.push(ref);
  return { supported: true, refs };
}

/** The (source, eventName) pairs we act on, for docs and tests. */
export function supportedCloudTrailCalls(): readonly string[] {
  return [...EXTRACTORS.keys()];
}

// --- readers ------------------------------------------------------------------------------------

const get = ownValue;

/** The object itself plus, for `{"<Action>Request": {...}}` / `{"<Action>Response": {...}}`, the inner object. */
function layers(o: JsonObject | null | undefined): JsonObject[] {
  if (o == null) return [];
  const keys = Object.keys(o);
  if (keys.length === 1 && /(?:Request|Response)$/.test(keys[0])) {
    const inner = o[keys[0]];
    if (isJsonObject(inner)) return [o, inner];
  }
  return [o];
}

/** First value found under any of `names` in the object or its wrapper. */
function pick(o: JsonObject | null | undefined, ...names: string[]): JsonValue | undefined {
  for (const layer of layers(o)) {
    for (const name of names) {
      const value = get(layer, name);
      if (value !== undefined) return value;
    }
  }
  return undefined;
}

/** EC2 query-API sets: `{items: [...]}`, `{item: {...}}`, `{item: [...]}` or a plain array. */
function items(value: JsonValue | undefined): JsonObject[] {
  let list: JsonValue | undefined = value;
  if (isJsonObject(value)) list = get(value, 'items') ?? get(value, 'item');
  if (isJsonObject(list)) return [list];
  if (!Array.isArray(list)) return [];
  return (list as readonly JsonValue[]).filter(isJsonObject);
}

function strings(value: JsonValue | undefined): JsonValue[] {
  return Array.isArray(value) ? [...(value as readonly JsonValue[])] : value === undefined ? [] : [value];
}

const MAX_NODES = 256;

/** Breadth-first search for the first string under one of `names`, bounded in depth and nodes. */
function find(o: JsonObject | null | undefined, names: readonly string[], maxDepth = 4): string | undefined {
  if (o == null) return undefined;
  let level: JsonValue[] = [o];
  let visited = 0;
  for (let depth = 0; depth <= maxDepth && level.length > 0; depth++) {
    const next: JsonValue[] = [];
    for (const node of level) {
      if (++visited > MAX_NODES) return undefined;
      if (Array.isArray(node)) {
        next.push(...(node as readonly JsonValue[]));
      } else if (isJsonObject(node)) {
        for (const name of names) {
          const value = get(node, name);
          if (typeof value === 'string') return value;
        }
        for (const key of Object.keys(node)) next.push(node[key]);
      }
    }
    level = next;
  }
  return undefined;
}

// --- extractors ---------------------------------------------------------------------------------

const EXTRACTORS = new Map<string, Extractor>();

function on(source: string, names: readonly string[], extractor: Extractor): void {
  for (const name of names) EXTRACTORS.set(`${source}:${name}`, extractor);
}

// EC2 instances ------------------------------------------------------------------------------------

on(
  'aws.ec2',
  [
    'RunInstances',
    'StartInstances',
    'StopInstances',
    'TerminateInstances',
    'RebootInstances',
    'MonitorInstances',
    'UnmonitorInstances',
  ],
  (req, res) => [
    ...items(get(req, 'instancesSet')).map((i) => instanceRef(get(i, 'instanceId'))),
    ...items(get(res, 'instancesSet')).map((i) => instanceRef(get(i, 'instanceId'))),
  ],
);

on(
  'aws.ec2',
  [
    'ModifyInstanceAttribute',
    'ModifyInstanceMetadataOptions',
    'ModifyInstancePlacement',
    'ModifyInstanceMaintenanceOptions',
    'ModifyInstanceCreditSpecification',
    'AssociateIamInstanceProfile',
  ],
  (req) => {
    const direct = pick(req, 'instanceId', 'InstanceId');
    if (direct !== undefined) return [instanceRef(direct)];
    // ModifyInstanceCreditSpecification: instanceCreditSpecifications [{instanceId}]
    return items(pick(req, 'instanceCreditSpecification', 'InstanceCreditSpecification')).map((i) =>
      instanceRef(get(i, 'instanceId') ?? get(i, 'InstanceId')),
    );
  },
);

on('aws.ec2', ['CreateTags', 'DeleteTags'], (req) =>
  items(get(req, 'resourcesSet')).map((r) => refFromEc2ResourceId(get(r, 'resourceId'))),
);

// Security groups ----------------------------------------------------------------------------------

on(
  'aws.ec2',
  [
    'AuthorizeSecurityGroupIngress',
    'AuthorizeSecurityGroupEgress',
    'RevokeSecurityGroupIngress',
    'RevokeSecurityGroupEgress',
    'UpdateSecurityGroupRuleDescriptionsIngress',
    'UpdateSecurityGroupRuleDescriptionsEgress',
    'ModifySecurityGroupRules',
    'DeleteSecurityGroup',
  ],
  (req) => [
    securityGroupRef({
      id: pick(req, 'groupId', 'GroupId'),
      name: pick(req, 'groupName', 'GroupName'),
      vpcId: pick(req, 'vpcId', 'VpcId'),
    }),
  ],
);

on('aws.ec2', ['CreateSecurityGroup'], (req, res) => [
  securityGroupRef({
    id: pick(res, 'groupId', 'GroupId'),
    name: pick(req, 'groupName', 'GroupName'),
    vpcId: pick(req, 'vpcId', 'VpcId'),
  }),
]);

// Launch templates ---------------------------------------------------------------------------------

const LT_NAME = ['launchTemplateName', 'LaunchTemplateName'];
const LT_ID = ['launchTemplateId', 'LaunchTemplateId'];

on(
  'aws.ec2',
  [
    'CreateLaunchTemplate',
    'CreateLaunchTemplateVersion',
    'ModifyLaunchTemplate',
    'DeleteLaunchTemplate',
    'DeleteLaunchTemplateVersions',
  ],
  (req, res) => [
    launchTemplateRef({
      name: find(res, LT_NAME) ?? find(req, LT_NAME, 1),
      id: find(res, LT_ID) ?? find(req, LT_ID, 1),
    }),
  ],
);

// Subnets and VPCs ---------------------------------------------------------------------------------

on('aws.ec2', ['CreateSubnet', 'DeleteSubnet', 'ModifySubnetAttribute'], (req, res) => [
  subnetRef(find(res, ['subnetId', 'SubnetId'], 2) ?? pick(req, 'subnetId', 'SubnetId')),
]);

on('aws.ec2', ['CreateVpc', 'CreateDefaultVpc', 'DeleteVpc', 'ModifyVpcAttribute'], (req, res) => [
  vpcRef(find(res, ['vpcId', 'VpcId'], 2) ?? pick(req, 'vpcId', 'VpcId')),
]);

// Auto Scaling -------------------------------------------------------------------------------------

on(
  'aws.autoscaling',
  [
    'CreateAutoScalingGroup',
    'UpdateAutoScalingGroup',
    'DeleteAutoScalingGroup',
    'SetDesiredCapacity',
    'SuspendProcesses',
    'ResumeProcesses',
    'AttachInstances',
    'DetachInstances',
    'TerminateInstanceInAutoScalingGroup',
    'SetInstanceProtection',
    'SetInstanceHealth',
    'EnterStandby',
    'ExitStandby',
    'AttachLoadBalancers',
    'DetachLoadBalancers',
    'AttachLoadBalancerTargetGroups',
    'DetachLoadBalancerTargetGroups',
    'AttachTrafficSources',
    'DetachTrafficSources',
    'PutScalingPolicy',
    'DeletePolicy',
    'ExecutePolicy',
    'StartInstanceRefresh',
    'CancelInstanceRefresh',
    'RollbackInstanceRefresh',
    'CompleteLifecycleAction',
    'EnableMetricsCollection',
    'DisableMetricsCollection',
    // Server groups carry their scheduled actions.
    'PutScheduledUpdateGroupAction',
    'BatchPutScheduledUpdateGroupAction',
    'DeleteScheduledAction',
    'BatchDeleteScheduledAction',
  ],
  (req, res) => [
    serverGroupRef(get(req, 'autoScalingGroupName') ?? find(res, ['autoScalingGroupName'], 2)),
    ...strings(get(req, 'instanceIds')).map(instanceRef),
    instanceRef(get(req, 'instanceId')),
    ...strings(get(req, 'targetGroupARNs')).map((arn) => targetGroupRef({ arn })),
    ...strings(get(req, 'loadBalancerNames')).map((name) => classicLoadBalancerRef(name)),
    // AttachTrafficSources / DetachTrafficSources: [{identifier, type}], an ELBv2 target group ARN.
    ...strings(get(req, 'trafficSources'))
      .filter(isJsonObject)
      .map((source) => targetGroupRef({ arn: get(source, 'identifier') })),
  ],
);

on('aws.autoscaling', ['CreateOrUpdateTags', 'DeleteTags'], (req) =>
  strings(get(req, 'tags'))
    .filter(isJsonObject)
    .filter((tag) => get(tag, 'resourceType') === 'auto-scaling-group')
    .map((tag) => serverGroupRef(get(tag, 'resourceId'))),
);

// Elastic Load Balancing (classic and v2 share the event source) ------------------------------------

/**
 * The target groups listener or rule actions forward to (`targetGroupArn`, or weighted
 * `forwardConfig.targetGroups`): attaching a target group to a listener changes its load
 * balancers and starts health checks on its targets.
 */
function actionTargetGroups(actions: JsonValue | undefined): (ResourceRef | undefined)[] {
  return strings(actions)
    .filter(isJsonObject)
    .flatMap((action) => {
      const forward = get(action, 'forwardConfig');
      const weighted = isJsonObject(forward)
        ? strings(get(forward, 'targetGroups')).filter(isJsonObject)
        : [];
      return [get(action, 'targetGroupArn'), ...weighted.map((tg) => get(tg, 'targetGroupArn'))]
        .filter((arn) => arn !== undefined)
        .map((arn) => targetGroupRef({ arn }));
    });
}

/** A load balancer named by ARN (ELBv2) or by name (classic). */
function anyLoadBalancer(req: JsonObject | null): ResourceRef | undefined {
  const arn = get(req, 'loadBalancerArn');
  return arn !== undefined
    ? loadBalancerRefFromArn(arn)
    : classicLoadBalancerRef(get(req, 'loadBalancerName'));
}

on('aws.elasticloadbalancing', ['CreateListener'], (req) => [
  anyLoadBalancer(req),
  ...actionTargetGroups(get(req, 'defaultActions')),
]);

on('aws.elasticloadbalancing', ['ModifyListener'], (req) => [
  loadBalancerRefFromArn(get(req, 'listenerArn')),
  ...actionTargetGroups(get(req, 'defaultActions')),
]);

on('aws.elasticloadbalancing', ['CreateRule'], (req) => [
  loadBalancerRefFromArn(get(req, 'listenerArn')),
  ...actionTargetGroups(get(req, 'actions')),
]);

on('aws.elasticloadbalancing', ['ModifyRule'], (req) => [
  loadBalancerRefFromArn(get(req, 'ruleArn')),
  ...actionTargetGroups(get(req, 'actions')),
]);

on('aws.elasticloadbalancing', ['CreateLoadBalancer'], (req, res) => {
  const created = strings(get(res, 'loadBalancers')).filter(isJsonObject);
  if (created.length > 0) {
    return created.map((lb) =>
      loadBalancerRef({
        arn: get(lb, 'loadBalancerArn'),
        name: get(lb, 'loadBalancerName'),
        type: get(lb, 'type'),
        vpcId: get(lb, 'vpcId'),
      }),
    );
  }
  // ELBv2 requests name the load balancer `name`; classic ones `loadBalancerName`.
  const v2Name = get(req, 'name');
  return [
    v2Name !== undefined
      ? loadBalancerRef({ name: v2Name, type: get(req, 'type') ?? 'application' })
      : anyLoadBalancer(req),
  ];
});

on(
  'aws.elasticloadbalancing',
  [
    'DeleteLoadBalancer',
    'ModifyLoadBalancerAttributes',
    'SetSecurityGroups',
    'SetSubnets',
    'SetIpAddressType',
    // classic
    'ConfigureHealthCheck',
    'CreateLoadBalancerListeners',
    'DeleteLoadBalancerListeners',
    'ApplySecurityGroupsToLoadBalancer',
    'AttachLoadBalancerToSubnets',
    'DetachLoadBalancerFromSubnets',
    'EnableAvailabilityZonesForLoadBalancer',
    'DisableAvailabilityZonesForLoadBalancer',
    'SetLoadBalancerPoliciesOfListener',
    'SetLoadBalancerListenerSSLCertificate',
    'CreateLoadBalancerPolicy',
    'DeleteLoadBalancerPolicy',
  ],
  (req) => [anyLoadBalancer(req)],
);

on(
  'aws.elasticloadbalancing',
  ['RegisterInstancesWithLoadBalancer', 'DeregisterInstancesFromLoadBalancer'],
  (req) => [
    anyLoadBalancer(req),
    ...strings(get(req, 'instances'))
      .filter(isJsonObject)
      .map((i) => instanceRef(get(i, 'instanceId'))),
  ],
);

on(
  'aws.elasticloadbalancing',
  ['DeleteListener', 'AddListenerCertificates', 'RemoveListenerCertificates'],
  (req) => [loadBalancerRefFromArn(get(req, 'listenerArn'))],
);

on('aws.elasticloadbalancing', ['DeleteRule'], (req) => [loadBalancerRefFromArn(get(req, 'ruleArn'))]);

on('aws.elasticloadbalancing', ['SetRulePriorities'], (req) =>
  strings(get(req, 'rulePriorities'))
    .filter(isJsonObject)
    .map((p) => loadBalancerRefFromArn(get(p, 'ruleArn'))),
);

on('aws.elasticloadbalancing', ['CreateTargetGroup'], (req, res) => {
  const created = strings(get(res, 'targetGroups')).filter(isJsonObject);
  if (created.length > 0) {
    return created.map((tg) =>
      targetGroupRef({
        arn: get(tg, 'targetGroupArn'),
        name: get(tg, 'targetGroupName'),
        targetType: get(tg, 'targetType'),
        vpcId: get(tg, 'vpcId'),
      }),
    );
  }
  return [
    targetGroupRef({
      name: get(req, 'name'),
      targetType: get(req, 'targetType') ?? 'instance',
      vpcId: get(req, 'vpcId'),
    }),
  ];
});

on(
  'aws.elasticloadbalancing',
  ['DeleteTargetGroup', 'ModifyTargetGroup', 'ModifyTargetGroupAttributes'],
  (req) => [targetGroupRef({ arn: get(req, 'targetGroupArn') })],
);

on('aws.elasticloadbalancing', ['RegisterTargets', 'DeregisterTargets'], (req) => [
  targetGroupRef({ arn: get(req, 'targetGroupArn') }),
  // Instance health lives with the instance in the cache; ip and lambda targets are not instances.
  ...strings(get(req, 'targets'))
    .filter(isJsonObject)
    .map((t) => instanceRef(get(t, 'id'))),
]);

on('aws.elasticloadbalancing', ['AddTags', 'RemoveTags'], (req) => [
  ...strings(get(req, 'resourceArns')).map((arn) => loadBalancerRefFromArn(arn) ?? targetGroupRef({ arn })),
  ...strings(get(req, 'loadBalancerNames')).map((name) => classicLoadBalancerRef(name)),
]);
