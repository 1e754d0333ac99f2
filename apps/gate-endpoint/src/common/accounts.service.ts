import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@event-cache/platform';

/** The configured Spinnaker accounts and their regions. */
@Injectable()
export class AccountsService {
  private readonly regions: Map<string, Set<string>>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.regions = new Map(config.accounts.map((a) => [a.name, new Set(a.regions.map((r) => r.name))]));
  }

  /** True when `account` is configured and caches `region`. */
  has(account: string, region: string): boolean {
    return this.regions.get(account)?.has(region) ?? false;
  }
}
