/**
 * Where the AWS SDK for Java v1 beans that Clouddriver's agents store differ from the service
 * models behind the SDK v3 schemas. Shapes and members are named `<namespace>#<Shape>` and
 * `<namespace>#<Shape>.<Member>`, as the v3 schemas name them.
 */

/**
 * Members the v1 code generator renamed. EC2's `IpPermission.IpRanges` (a list of `IpRange`) is
 * the v1 bean property `Ipv4Ranges`; v1's `getIpRanges()` is a deprecated list of CIDR strings,
 * which Netflix's AmazonObjectMapper ignores (it `@JsonIgnore`s deprecated getters).
 */
const RENAMED_MEMBERS: ReadonlyMap<string, string> = new Map([
  ['com.amazonaws.ec2#IpPermission.IpRanges', 'Ipv4Ranges'],
]);

/**
 * Shapes the services added after the v1 SDK took its last API model update (2024): the v1 SDK has
 * no class for them, so its unmarshallers skip these elements and Clouddriver never stores them
 * (aws/aws-sdk-java has none of these model classes, while it has the shapes of late 2023 such as
 * MutualAuthenticationAttributes, InstanceMaintenancePolicy, ConnectionTrackingSpecificationResponse).
 * A member of such a type, or a list of them, is left out.
 */
const ABSENT_SHAPES: ReadonlySet<string> = new Set([
  'com.amazonaws.ec2#OperatorResponse',
  'com.amazonaws.ec2#InstanceNetworkPerformanceOptions',
  'com.amazonaws.ec2#LaunchTemplateNetworkPerformanceOptions',
  'com.amazonaws.ec2#InstanceSecondaryInterface',
  'com.amazonaws.ec2#LaunchTemplateInstanceSecondaryInterfaceSpecification',
  'com.amazonaws.ec2#BlockPublicAccessStates',
  'com.amazonaws.ec2#VpcEncryptionControl',
  'com.amazonaws.autoscaling#AvailabilityZoneDistribution',
  'com.amazonaws.autoscaling#AvailabilityZoneImpairmentPolicy',
  'com.amazonaws.autoscaling#CapacityReservationSpecification',
  'com.amazonaws.autoscaling#InstanceLifecyclePolicy',
  'com.amazonaws.autoscaling#DistributionSegment',
  'com.amazonaws.elasticloadbalancingv2#RuleTransform',
  'com.amazonaws.elasticloadbalancingv2#JwtValidationActionConfig',
  'com.amazonaws.elasticloadbalancingv2#IpamPools',
]);

/**
 * Members of plain types added in the same later API updates: the regex matching of ELBv2 rule
 * conditions (launched with RuleTransform), the Availability Zone ids of Auto Scaling groups and
 * the metric categories of EC2 monitoring. The v1 beans have no such property; as lists they would
 * otherwise be written as `[]`.
 */
const ABSENT_MEMBERS: ReadonlySet<string> = new Set([
  'com.amazonaws.elasticloadbalancingv2#RuleCondition.RegexValues',
  'com.amazonaws.elasticloadbalancingv2#HostHeaderConditionConfig.RegexValues',
  'com.amazonaws.elasticloadbalancingv2#PathPatternConditionConfig.RegexValues',
  'com.amazonaws.elasticloadbalancingv2#HttpHeaderConditionConfig.RegexValues',
  'com.amazonaws.autoscaling#AutoScalingGroup.AvailabilityZoneIds',
  'com.amazonaws.ec2#Monitoring.MetricCategoryIds',
  'com.amazonaws.ec2#LaunchTemplatesMonitoring.MetricCategoryIds',
]);

/**
 * The v1 bean's member for a v3 member of `shape` (a namespaced shape name), or undefined when
 * the v1 bean has none. `target` is the member's namespaced type, or its element type for a list.
 */
export function v1Member(shape: string, member: string, target: string | undefined): string | undefined {
  const qualified = `${shape}.${member}`;
  if (ABSENT_MEMBERS.has(qualified) || (target !== undefined && ABSENT_SHAPES.has(target))) return undefined;
  return RENAMED_MEMBERS.get(qualified) ?? member;
}
