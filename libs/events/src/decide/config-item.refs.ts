import { type JsonObject, ownValue } from '../json/json.model';
import { parseArn } from '../model/arn.util';
import { type ConfigurationItemIdentity } from '../model/event.model';
import {
  type ResourceRef,
  classicLoadBalancerRef,
  instanceRef,
  launchTemplateRef,
  loadBalancerRef,
  securityGroupRef,
  serverGroupRef,
  subnetRef,
  targetGroupRef,
  vpcRef,
} from './resource.refs';

export interface ConfigItemRefs {
  /** False for resource types we do not cache. */
  readonly supported: boolean;
  readonly ref?: ResourceRef;
}

/** Config resource types we cache, for docs and tests. */
export const CONFIG_RESOURCE_TYPES = [
  'AWS::EC2::Instance',
  'AWS::AutoScaling::AutoScalingGroup',
  'AWS::EC2::SecurityGroup',
  'AWS::EC2::LaunchTemplate',
  'AWS::ElasticLoadBalancingV2::LoadBalancer',
  'AWS::ElasticLoadBalancing::LoadBalancer',
  'AWS::ElasticLoadBalancingV2::TargetGroup',
  'AWS::EC2::Subnet',
  'AWS::EC2::VPC',
] as const;

const get = ownValue;

/**
 * The resource a configuration item names. `configuration` (null for the oversized summary and for
 * deleted resources) only contributes identifiers a key needs, such as the VPC.
 */
export function configItemRef(
  item: ConfigurationItemIdentity,
  configuration: JsonObject | null,
): ConfigItemRefs {
  const name = item.resourceName ?? undefined;
  switch (item.resourceType) {
    case 'AWS::EC2::Instance':
      return { supported: true, ref: instanceRef(item.resourceId) };
    case 'AWS::AutoScaling::AutoScalingGroup':
      return { supported: true, ref: serverGroupRef(name ?? asgNameFromArn(item.ARN ?? item.resourceId)) };
    case 'AWS::EC2::SecurityGroup':
      return {
        supported: true,
        ref: securityGroupRef({
          id: item.resourceId,
          name: name ?? get(configuration, 'groupName'),
          vpcId: get(configuration, 'vpcId'),
        }),
      };
    case 'AWS::EC2::LaunchTemplate':
      return {
        supported: true,
        ref: launchTemplateRef({
          id: item.resourceId,
          name: name ?? get(configuration, 'launchTemplateName'),
        }),
      };
    case 'AWS::ElasticLoadBalancingV2::LoadBalancer':
      return {
        supported: true,
        ref: loadBalancerRef({
          arn: item.ARN ?? item.resourceId,
          name,
          type: get(configuration, 'type'),
          vpcId: get(configuration, 'vpcId'),
        }),
      };
    case 'AWS::ElasticLoadBalancing::LoadBalancer':
      return {
        supported: true,
        ref: classicLoadBalancerRef(
          name ?? item.resourceId,
          get(configuration, 'vpcid') ?? get(configuration, 'vpcId'),
        ),
      };
    case 'AWS::ElasticLoadBalancingV2::TargetGroup':
      return {
        supported: true,
        ref: targetGroupRef({
          arn: item.ARN ?? item.resourceId,
          name,
          targetType: get(configuration, 'targetType'),
          vpcId: get(configuration, 'vpcId'),
        }),
      };
    case 'AWS::EC2::Subnet':
      return { supported: true, ref: subnetRef(item.resourceId) };
    case 'AWS::EC2::VPC':
      return { supported: true, ref: vpcRef(item.resourceId) };
    default:
      return { supported: false };
  }
}

/** `arn:aws:autoscaling:<region>:<account>:autoScalingGroup:<uuid>:autoScalingGroupName/<name>` → `<name>`. */
function asgNameFromArn(value: string): string | undefined {
  const arn = parseArn(value);
  if (!arn || arn.service !== 'autoscaling') return undefined;
  const marker = 'autoScalingGroupName/';
  const at = arn.resource.indexOf(marker);
  return at < 0 ? undefined : arn.resource.slice(at + marker.length);
}
