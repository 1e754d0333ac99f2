import { z } from 'zod';
import { accountName } from './identifiers';

const pathSegment = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'letters, digits, "_" or "-"');

export const cacheRefreshParamsSchema = z.strictObject({ provider: pathSegment, type: pathSegment });

/** Clouddriver's on-demand body: any JSON object; `credentials` (or `account`) names the account. */
export const cacheRefreshBodySchema = z.looseObject({
  credentials: accountName.optional(),
  account: accountName.optional(),
});
