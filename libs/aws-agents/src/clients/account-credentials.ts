import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';

/** AWS credentials (structurally the SDK's `AwsCredentialIdentity`). */
export interface AwsCredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}
export type AwsCredentialIdentityProvider = () => Promise<AwsCredentialIdentity>;

/** `role/<name>` -> `arn:aws:iam::<accountId>:role/<name>`; a full ARN is kept as it is. */
export function roleArn(assumeRole: string, accountId: string): string {
  return assumeRole.startsWith('arn:') ? assumeRole : `arn:aws:iam::${accountId}:${assumeRole}`;
}

export interface AssumedRoleOptions {
  sts: STSClient;
  roleArn: string;
  sessionName: string;
  durationSeconds: number;
  /** Refresh this long before the credentials expire (default 10 minutes). */
  refreshBeforeMs?: number;
  now?: () => number;
}

const DEFAULT_REFRESH_BEFORE_MS = 10 * 60_000;

/**
 * Credentials of one assumed role, shared by every client of the account: one AssumeRole call per
 * credential lifetime, refreshed `refreshBeforeMs` before expiry, concurrent callers share the
 * call in flight, and a failed refresh is retried on the next request (never cached).
 */
export class AssumedRoleCredentials {
  private current: AwsCredentialIdentity | undefined;
  private inFlight: Promise<AwsCredentialIdentity> | undefined;
  private readonly now: () => number;
  private readonly refreshBeforeMs: number;

  constructor(private readonly options: AssumedRoleOptions) {
    this.now = options.now ?? Date.now;
    this.refreshBeforeMs = options.refreshBeforeMs ?? DEFAULT_REFRESH_BEFORE_MS;
  }

  /** An SDK credential provider (pass as a client's `credentials`). */
  readonly provider: AwsCredentialIdentityProvider = () => this.get();

  get(): Promise<AwsCredentialIdentity> {
    const current = this.current;
    if (current?.expiration && current.expiration.getTime() - this.now() > this.refreshBeforeMs) {
      return Promise.resolve(current);
    }
    this.inFlight ??= this.assume().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async assume(): Promise<AwsCredentialIdentity> {
    const { Credentials: c } = await this.options.sts.send(
      new AssumeRoleCommand({
        RoleArn: this.options.roleArn,
        RoleSessionName: this.options.sessionName,
        DurationSeconds: this.options.durationSeconds,
      }),
    );
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new Error(`AssumeRole ${this.options.roleArn} returned no credentials`);
    }
    this.current = {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    };
    return this.current;
  }
}
