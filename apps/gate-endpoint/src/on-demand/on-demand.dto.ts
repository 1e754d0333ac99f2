import { z } from 'zod';
import { openApiSchema } from '../common/openapi.util';
import { ON_DEMAND_BODIES } from './on-demand.plan';

/** OpenAPI documents of the on-demand routes (the request schemas are the ones validating). */
export const onDemandDocs = {
  body: {
    oneOf: [
      openApiSchema(ON_DEMAND_BODIES.ServerGroup),
      openApiSchema(ON_DEMAND_BODIES.LoadBalancer),
      openApiSchema(ON_DEMAND_BODIES.SecurityGroup),
    ],
  },
  cachedIdentifiers: openApiSchema(
    z.object({
      cachedIdentifiersByType: z
        .record(z.string(), z.array(z.string()))
        .describe(
          'keys pending by cache type, e.g. {"serverGroups": ["aws:serverGroups:..."]}; {} = nothing to wait for',
        ),
    }),
  ),
  entries: openApiSchema(
    z.array(
      z.object({
        id: z
          .string()
          .describe('the cache key (a glob with * for a load balancer or security group known by name)'),
        details: z
          .record(z.string(), z.string().nullable())
          .describe('the parsed key: account, region, serverGroup, cluster ...'),
        moniker: z.object({
          app: z.string().nullable(),
          cluster: z.string().nullable(),
          stack: z.string().nullable(),
          detail: z.string().nullable(),
          sequence: z.number().nullable(),
        }),
        cacheTime: z.number().describe('epoch ms: when the refresh was asked for'),
        cacheExpiry: z.number().describe('epoch ms'),
        processedCount: z.number().nullable(),
        processedTime: z
          .number()
          .nullable()
          .describe('epoch ms: when a read started after cacheTime was cached'),
      }),
    ),
  ),
  refreshStatus: openApiSchema(
    z.object({
      id: z.string(),
      status: z.enum(['PENDING', 'SUCCEEDED', 'FAILED']),
      type: z.string(),
      keys: z.array(z.string()),
      cacheTime: z.number(),
      processedTime: z.number().nullable(),
      error: z
        .string()
        .nullable()
        .describe(
          'why the last attempt failed and what to check (the raw error is in the caching-agents log)',
        ),
      errorCode: z
        .enum([
          'aws_throttled',
          'aws_access_denied',
          'aws_unreachable',
          'aws_error',
          'unsupported_type',
          'invalid_request',
          'refresh_failed',
        ])
        .nullable(),
    }),
  ),
  introspection: openApiSchema(
    z.array(
      z.object({
        id: z.string(),
        provider: z.string(),
        totalAdditions: z.number(),
        totalEvictions: z.number(),
        lastExecutionDurationMs: z.number().nullable(),
        lastExecutionStartMs: z.number().nullable(),
        lastExecutionStartDate: z.string().nullable(),
        lastError: z.string().nullable(),
      }),
    ),
  ),
};
