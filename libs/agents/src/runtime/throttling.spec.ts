import { describeError, isThrottlingError } from './throttling';

function awsError(name: string, message: string, extra: Record<string, unknown> = {}) {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 }, ...extra });
}

describe('isThrottlingError', () => {
  it.each([
    awsError('ThrottlingException', 'Rate exceeded'),
    awsError('RequestLimitExceeded', 'Request limit exceeded.'),
    awsError('Throttling', 'Rate exceeded'),
    awsError('TooManyRequestsException', 'Too many requests'),
    awsError('ServiceUnavailable', 'Rate exceeded for DescribeTargetHealth'),
    awsError('UnknownError', 'slow down', { $metadata: { httpStatusCode: 429 } }),
    new Error('retries exhausted', { cause: awsError('RequestLimitExceeded', 'Request limit exceeded.') }),
    new AggregateError([new Error('x'), awsError('Throttling', 'Rate exceeded')]),
  ])('recognises %p', (error) => {
    expect(isThrottlingError(error)).toBe(true);
  });

  it.each([
    awsError('InvalidInstanceID.NotFound', "The instance ID 'i-0abc' does not exist"),
    awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.'),
    new Error('socket hang up'),
    'Throttling',
    null,
  ])('does not take %p for throttling', (error) => {
    expect(isThrottlingError(error)).toBe(false);
  });
});

describe('describeError', () => {
  it('keeps the name and the first line, never a stack', () => {
    expect(describeError(awsError('AccessDenied', 'denied\n    at x'))).toBe('AccessDenied: denied');
    expect(describeError(new Error('plain'))).toBe('plain');
  });
});
