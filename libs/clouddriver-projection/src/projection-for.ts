import type { AppConfig } from '@event-cache/platform';
import { ClouddriverProjection } from './clouddriver-projection';

/** The projection a service's configuration asks for (`clouddriver.cache`), or null when it is off. */
export function clouddriverProjectionFor(
  config: Pick<AppConfig, 'accounts' | 'clouddriver'>,
): ClouddriverProjection | null {
  const cache = config.clouddriver.cache;
  if (!cache.enabled) return null;
  return new ClouddriverProjection({
    accounts: config.accounts,
    tableNamespace: cache.tableNamespace ?? null,
  });
}
