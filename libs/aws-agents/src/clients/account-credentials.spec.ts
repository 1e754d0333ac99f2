import { AssumeRoleCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { AssumedRoleCredentials, roleArn } from './account-credentials';

const sts = mockClient(STSClient);
beforeEach(() => sts.reset());

const HOUR = 3_600_000;
let issued = 0;
function assumeRoleOutput(now: number) {
  issued += 1;
  return {
    Credentials: {
      AccessKeyId: `ASIAEXAMPLE${issued}`,
      SecretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      SessionToken: `FwoGZXIvYXdzEBYaDH${issued}`,
      Expiration: new Date(now + HOUR),
    },
    AssumedRoleUser: {
      AssumedRoleId: 'AROA3XFRBF535PLBIFPI4:spinnaker-event-cache',
      Arn: 'arn:aws:sts::123456789012:assumed-role/spinnaker-managed/spinnaker-event-cache',
    },
  };
}

function credentials() {
  let now = Date.parse('2026-03-01T12:00:00Z');
  sts.on(AssumeRoleCommand).callsFake(() => assumeRoleOutput(now));
  const role = new AssumedRoleCredentials({
    sts: new STSClient({ region: 'us-east-1' }),
    roleArn: 'arn:aws:iam::123456789012:role/spinnaker-managed',
    sessionName: 'spinnaker-event-cache',
    durationSeconds: 3_600,
    now: () => now,
  });
  return { role, advance: (ms: number) => (now += ms) };
}

describe('roleArn', () => {
  it('expands role/<name> with the account id and keeps full ARNs', () => {
    expect(roleArn('role/spinnaker-managed', '123456789012')).toBe(
      'arn:aws:iam::123456789012:role/spinnaker-managed',
    );
    expect(roleArn('arn:aws-cn:iam::210987654321:role/x', '123456789012')).toBe(
      'arn:aws-cn:iam::210987654321:role/x',
    );
  });
});

describe('AssumedRoleCredentials', () => {
  it('assumes the role once and serves the cached credentials until shortly before expiry', async () => {
    const { role, advance } = credentials();
    const first = await role.provider();
    advance(45 * 60_000);
    expect(await role.provider()).toBe(first);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    expect(sts.commandCalls(AssumeRoleCommand)[0].args[0].input).toEqual({
      RoleArn: 'arn:aws:iam::123456789012:role/spinnaker-managed',
      RoleSessionName: 'spinnaker-event-cache',
      DurationSeconds: 3_600,
    });
    expect(first).toMatchObject({
      accessKeyId: expect.stringMatching(/^ASIA/),
      sessionToken: expect.any(String),
    });
  });

  it('refreshes 10 minutes before expiry', async () => {
    const { role, advance } = credentials();
    const first = await role.provider();
    advance(51 * 60_000);
    const second = await role.provider();
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
    expect(second.expiration!.getTime()).toBeGreaterThan(first.expiration!.getTime());
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it('shares one AssumeRole call between concurrent callers', async () => {
    const { role } = credentials();
    const all = await Promise.all(Array.from({ length: 20 }, () => role.provider()));
    expect(new Set(all.map((c) => c.accessKeyId)).size).toBe(1);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
  });

  it('does not cache a failure: the next request tries again', async () => {
    const { role } = credentials();
    sts
      .on(AssumeRoleCommand)
      .rejectsOnce(
        new STSServiceException({
          name: 'AccessDenied',
          message:
            'User: arn:aws:sts::123456789012:assumed-role/node/i-0abc is not authorized to perform: sts:AssumeRole',
          $fault: 'client',
          $metadata: { httpStatusCode: 403 },
        }),
      )
      .callsFake(() => assumeRoleOutput(Date.now()));
    await expect(role.provider()).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(role.provider()).resolves.toMatchObject({ accessKeyId: expect.stringMatching(/^ASIA/) });
  });
});
