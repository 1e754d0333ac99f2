import { ApiProperty } from '@nestjs/swagger';
import { z } from 'zod';
import { accountName, opaqueId, podName } from './identifiers';

export const agentIdSchema = opaqueId;

export const agentRegistrationSchema = z.strictObject({
  clouddriverId: podName,
  accounts: z.array(accountName).max(5_000),
});

export class AgentRegistrationDto {
  @ApiProperty({ description: 'Pod name of the Clouddriver instance the agent is connected to.' })
  clouddriverId!: string;

  @ApiProperty({ description: 'Accounts the agent serves.', type: [String], maxItems: 5_000 })
  accounts!: string[];
}

export class AgentOwnershipDto extends AgentRegistrationDto {
  @ApiProperty()
  agentId!: string;
}
