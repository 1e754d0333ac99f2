import { EventsError, EventsErrorCode } from '../events.error';

/** One Spinnaker AWS account, in Clouddriver's `aws.accounts` field names. */
export interface AccountConfig {
  /** Spinnaker account name (used in cache keys). */
  readonly name: string;
  /** 12-digit AWS account id. */
  readonly accountId: string;
  readonly environment?: string;
  /** Regions the account is used in; absent or empty means any region. */
  readonly regions?: readonly (string | { readonly name: string })[];
}

export interface SpinnakerAccount {
  readonly name: string;
  readonly accountId: string;
  readonly environment?: string;
  /** Undefined: any region. */
  readonly regions?: ReadonlySet<string>;
}

/** How decide() finds the Spinnaker accounts of an AWS account id. */
export interface AccountLookup {
  /** Every Spinnaker account configured for the AWS account (Clouddriver allows several); empty when none. */
  byAwsAccountId(awsAccountId: string): readonly SpinnakerAccount[];
}

const ACCOUNT_ID = /^\d{12}$/;
const NONE: readonly SpinnakerAccount[] = Object.freeze([]);

/** An `AccountLookup` built once from the accounts config. Throws EventsError on an invalid entry. */
export class AccountDirectory implements AccountLookup {
  private readonly byId = new Map<string, SpinnakerAccount[]>();

  constructor(accounts: Iterable<AccountConfig>) {
    const names = new Set<string>();
    let index = 0;
    for (const account of accounts) {
      const at = `accounts[${index++}]`;
      if (typeof account.name !== 'string' || account.name === '' || account.name.includes(':')) {
        throw new EventsError(
          EventsErrorCode.INVALID_ACCOUNT_CONFIG,
          `${at}.name must be a non-empty string without ':'`,
        );
      }
      if (names.has(account.name)) {
        throw new EventsError(EventsErrorCode.INVALID_ACCOUNT_CONFIG, `${at}.name is a duplicate`);
      }
      names.add(account.name);
      if (typeof account.accountId !== 'string' || !ACCOUNT_ID.test(account.accountId)) {
        throw new EventsError(
          EventsErrorCode.INVALID_ACCOUNT_CONFIG,
          `${at}.accountId must be a 12-digit AWS account id`,
        );
      }
      const regions = (account.regions ?? []).map((r) => (typeof r === 'string' ? r : r.name));
      const entry: SpinnakerAccount = {
        name: account.name,
        accountId: account.accountId,
        ...(account.environment === undefined ? {} : { environment: account.environment }),
        ...(regions.length === 0 ? {} : { regions: new Set(regions) }),
      };
      const list = this.byId.get(account.accountId);
      if (list) list.push(entry);
      else this.byId.set(account.accountId, [entry]);
    }
  }

  byAwsAccountId(awsAccountId: string): readonly SpinnakerAccount[] {
    return this.byId.get(awsAccountId) ?? NONE;
  }
}
