import { EventsError, EventsErrorCode } from '../events.error';
import { AccountDirectory } from './account.directory';

describe('AccountDirectory', () => {
  it('finds the Spinnaker accounts of an AWS account id, with their regions', () => {
    const directory = new AccountDirectory([
      {
        name: 'prod',
        accountId: '123456789012',
        environment: 'prod',
        regions: [{ name: 'us-east-1' }, 'us-west-2'],
      },
      { name: 'prod-ro', accountId: '123456789012' },
      { name: 'dev', accountId: '210987654321', regions: [] },
    ]);
    expect(directory.byAwsAccountId('123456789012')).toEqual([
      {
        name: 'prod',
        accountId: '123456789012',
        environment: 'prod',
        regions: new Set(['us-east-1', 'us-west-2']),
      },
      { name: 'prod-ro', accountId: '123456789012' },
    ]);
    expect(directory.byAwsAccountId('210987654321')).toEqual([{ name: 'dev', accountId: '210987654321' }]);
    expect(directory.byAwsAccountId('999999999999')).toEqual([]);
  });

  it.each([
    [[{ name: '', accountId: '123456789012' }], 'accounts[0].name'],
    [[{ name: 'a:b', accountId: '123456789012' }], 'accounts[0].name'],
    [[{ name: 'a', accountId: '1234' }], 'accounts[0].accountId'],
    [[{ name: 'a', accountId: 123456789012 as unknown as string }], 'accounts[0].accountId'],
    [
      [
        { name: 'a', accountId: '123456789012' },
        { name: 'a', accountId: '210987654321' },
      ],
      'accounts[1].name is a duplicate',
    ],
  ])('refuses an invalid config entry, naming the field (%#)', (accounts, field) => {
    let error: unknown;
    try {
      new AccountDirectory(accounts);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EventsError);
    expect((error as EventsError).code).toBe(EventsErrorCode.INVALID_ACCOUNT_CONFIG);
    expect((error as EventsError).message).toContain(field);
  });
});
