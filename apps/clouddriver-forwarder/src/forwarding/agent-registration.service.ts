import { Injectable } from '@nestjs/common';
import { ClouddriverRegistryRepository } from '@event-cache/cache-store';
import { CodedError, parseInput } from '@event-cache/platform';
import { AppErrorCode } from '../error-status';
import { agentIdSchema, agentRegistrationSchema, type AgentOwnershipDto } from './dto/agent-registration.dto';

/** Which Clouddriver instance an agent is connected to, and the accounts it serves. */
@Injectable()
export class AgentRegistrationService {
  constructor(private readonly registry: ClouddriverRegistryRepository) {}

  async register(agentId: string, body: unknown): Promise<AgentOwnershipDto> {
    const id = parseInput(agentIdSchema, agentId, 'agentId');
    const { clouddriverId, accounts } = parseInput(agentRegistrationSchema, body);
    const unique = [...new Set(accounts)];
    await this.registry.setOwnership(id, clouddriverId, unique);
    return { agentId: id, clouddriverId, accounts: unique };
  }

  async unregister(agentId: string): Promise<void> {
    const id = parseInput(agentIdSchema, agentId, 'agentId');
    if (!(await this.registry.removeOwnership(id))) {
      throw new CodedError(AppErrorCode.UnknownAgent, `agent "${id}" is not registered`);
    }
  }
}
