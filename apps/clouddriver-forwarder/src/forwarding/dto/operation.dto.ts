import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { z } from 'zod';
import { accountName, MAX_TEXT_LENGTH, opaqueId, podName } from './identifiers';

export const operationRequestSchema = z.strictObject({
  operation: z.string().min(1).max(MAX_TEXT_LENGTH),
  operationId: opaqueId.optional(),
  agentId: opaqueId.optional(),
  account: accountName.optional(),
  senderId: podName.optional(),
});
export type OperationRequest = z.output<typeof operationRequestSchema>;

export const operationResultRequestSchema = z.strictObject({
  result: z.string().min(1).max(MAX_TEXT_LENGTH),
  operationId: opaqueId.optional(),
});
export type OperationResultRequest = z.output<typeof operationResultRequestSchema>;

/** Routing fields read from an operation or result text that is a JSON object. */
export const embeddedRoutingSchema = z.object({
  id: opaqueId.optional(),
  operationId: opaqueId.optional(),
  agentId: opaqueId.optional(),
  account: accountName.optional(),
  accountName: accountName.optional(),
});

export class OperationRequestDto {
  @ApiProperty({
    description:
      'The operation, forwarded as is to the Clouddriver instance owning the agent. When it is a JSON object, its `id`/`operationId`, `agentId` and `account`/`accountName` fields route it (unless given below).',
    example: '{"id":"9f3c2a","agentId":"agent-prod-54865d798c-cpqgm","account":"prod-eks","type":"deploy"}',
    maxLength: MAX_TEXT_LENGTH,
  })
  operation!: string;

  @ApiPropertyOptional({ description: 'Operation id; its results are routed back to the sender.' })
  operationId?: string;

  @ApiPropertyOptional({ description: 'Agent the operation is for; its registered owner receives it.' })
  agentId?: string;

  @ApiPropertyOptional({ description: 'Account the operation is for, when no agent is named.' })
  account?: string;

  @ApiPropertyOptional({
    description:
      'Pod name of the sending Clouddriver instance; defaults to the discovered instance whose address sent the request.',
  })
  senderId?: string;
}

export class OperationResultRequestDto {
  @ApiProperty({
    description:
      'The result, forwarded as is to the Clouddriver instance that sent the operation. When it is a JSON object, its `id`/`operationId` names the operation (unless given below).',
    example: '{"id":"9f3c2a","status":"SUCCEEDED"}',
    maxLength: MAX_TEXT_LENGTH,
  })
  result!: string;

  @ApiPropertyOptional({ description: 'Id of the operation this is a result of.' })
  operationId?: string;
}
