import type { SchemaObject } from '@nestjs/swagger';
import { z } from 'zod';

/** The OpenAPI 3.0 schema of a zod schema: one definition validates and documents. */
export function openApiSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): SchemaObject {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as SchemaObject;
}

/** The error body every failing route answers with. */
export const errorBody = openApiSchema(
  z.object({
    error: z.string().describe('machine-readable code, e.g. schema_violation, invalid_signature'),
    message: z.string(),
  }),
);
