import { z } from 'zod';

/** Field formats shared by the routes. */
export const formats = {
  account: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'a Spinnaker account name'),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-east-1'),
  agentKind: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,127}$/, 'an agent kind such as InstanceCachingAgent'),
  agentIdGlob: z
    .string()
    .regex(/^[A-Za-z0-9_.\-/*]{1,300}$/, 'an agent id or glob such as prod/*/InstanceCachingAgent'),
  cacheType: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,63}$/, 'a cache type such as instances'),
  /** A cache key or key glob (`aws:instances:prod:us-east-1:*`). */
  cacheKey: z.string().min(1).max(4096),
  /** A positive whole number given in a query string. */
  queryInt: (min: number, max: number) =>
    z
      .string()
      .regex(/^\d{1,9}$/, 'a whole number')
      .transform(Number)
      .pipe(z.number().int().min(min).max(max)),
};
