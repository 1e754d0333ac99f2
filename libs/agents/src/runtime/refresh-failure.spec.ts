import { explainRefreshFailure } from './refresh-failure';

describe('explainRefreshFailure', () => {
  it.each([
    ['RequestLimitExceeded: Request limit exceeded.', 'aws_throttled'],
    ['ThrottlingException: Rate exceeded', 'aws_throttled'],
    [
      'UnauthorizedOperation: You are not authorized to perform this operation. Encoded authorization failure message: 4f8a...',
      'aws_access_denied',
    ],
    [
      'AccessDenied: User: arn:aws:sts::123456789012:assumed-role/cache/x is not authorized to perform: sts:AssumeRole',
      'aws_access_denied',
    ],
    ['Error: connect ECONNREFUSED 127.0.0.1:9', 'aws_unreachable'],
    ['connect ECONNREFUSED 10.0.0.7:443', 'aws_unreachable'],
    ['TimeoutError: Connection timed out after 5000 ms', 'aws_unreachable'],
    ['Error: getaddrinfo ENOTFOUND ec2.us-east-1.amazonaws.com', 'aws_unreachable'],
    ['no refresher serves instances', 'unsupported_type'],
    ['target needs a non-empty id and idKind', 'invalid_request'],
    ['InvalidParameterValue: Value (x) for parameter groupId is invalid.', 'aws_error'],
    ['TypeError: Cannot read properties of undefined (reading "Reservations")', 'refresh_failed'],
    ['the refresher returned an invalid outcome', 'refresh_failed'],
  ])('%s -> %s', (recorded, code) => {
    expect(explainRefreshFailure(recorded).code).toBe(code);
  });

  it('never repeats what the raw error holds: addresses, hosts, ARNs, AWS messages', () => {
    for (const recorded of [
      'Error: connect ECONNREFUSED 127.0.0.1:9',
      'AccessDenied: User: arn:aws:sts::123456789012:assumed-role/cache/x is not authorized to perform: sts:AssumeRole',
      'InvalidParameterValue: Value (sg-secret) for parameter groupId is invalid.',
    ]) {
      const { message } = explainRefreshFailure(recorded);
      expect(message).not.toMatch(/127\.0\.0\.1|arn:aws|123456789012|sg-secret/);
    }
    expect(explainRefreshFailure('InvalidParameterValue: x').message).toContain('InvalidParameterValue');
  });
});
