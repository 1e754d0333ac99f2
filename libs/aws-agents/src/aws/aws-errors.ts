/**
 * AWS error helpers. The agents never wrap SDK errors: a throttled read rejects with the SDK's own
 * error (name `RequestLimitExceeded`, `Throttling`, `ThrottlingException` ...) so the scheduler can
 * back the account/region off. Refreshers report failures as `<ErrorName>: <message>`.
 */

/** Error names AWS services use for throttling (the SDK's retry classification uses the same list). */
export const THROTTLING_ERROR_NAMES: readonly string[] = [
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
];

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
}

export function awsErrorName(error: unknown): string {
  const name = (error as ErrorLike | null)?.name;
  return typeof name === 'string' && name !== '' ? name : 'Error';
}

/** True for AWS throttling errors (by name, or HTTP 429). */
export function isThrottlingError(error: unknown): boolean {
  const e = error as ErrorLike | null;
  return THROTTLING_ERROR_NAMES.includes(awsErrorName(e)) || e?.$metadata?.httpStatusCode === 429;
}

/** `<ErrorName>: <message>`: the form refreshers report failed items in (the name comes first). */
export function describeAwsError(error: unknown): string {
  const message = (error as ErrorLike | null)?.message;
  const text = typeof message === 'string' ? message : String(error);
  return `${awsErrorName(error)}: ${text}`.slice(0, 1_000);
}

/** Error names that mean "one or more of the ids you asked for does not exist". */
export const NOT_FOUND_ERROR_NAMES = {
  instance: ['InvalidInstanceID.NotFound'],
  securityGroup: ['InvalidGroup.NotFound', 'InvalidGroupId.NotFound'],
  launchTemplate: [
    'InvalidLaunchTemplateId.NotFound',
    'InvalidLaunchTemplateName.NotFoundException',
    'InvalidLaunchTemplateId.NotFoundException',
  ],
  loadBalancer: ['LoadBalancerNotFound', 'LoadBalancerNotFoundException'],
  targetGroup: ['TargetGroupNotFound', 'TargetGroupNotFoundException'],
  listener: ['ListenerNotFound', 'ListenerNotFoundException'],
} as const;

export function hasErrorName(error: unknown, names: readonly string[]): boolean {
  return names.includes(awsErrorName(error));
}

/** The ids an EC2 NotFound message names (`The instance IDs 'i-1, i-2' do not exist`). */
export function idsNamedInError(error: unknown, pattern: RegExp): string[] {
  const message = (error as ErrorLike | null)?.message;
  if (typeof message !== 'string') return [];
  return [...new Set(message.match(pattern) ?? [])];
}

export function isAbortError(error: unknown): boolean {
  return awsErrorName(error) === 'AbortError';
}
