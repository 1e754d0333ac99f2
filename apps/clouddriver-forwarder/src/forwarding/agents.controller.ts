import { Body, Controller, Delete, HttpCode, Param, Put } from '@nestjs/common';
import {
  ApiBody,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { AgentRegistrationService } from './agent-registration.service';
import { AgentOwnershipDto, AgentRegistrationDto } from './dto/agent-registration.dto';
import { ErrorDto } from './dto/clouddriver-instance.dto';
import { ForwarderAuth } from './forwarder-auth.guard';

@ApiTags('armory')
@Controller('armory/agents')
@ForwarderAuth()
export class AgentsController {
  constructor(private readonly agents: AgentRegistrationService) {}

  @Put(':agentId')
  @ApiOperation({
    summary: 'Record which Clouddriver instance an agent is connected to',
    description: 'Operations for the agent, or for the accounts it serves, are forwarded to that instance.',
  })
  @ApiBody({ type: AgentRegistrationDto })
  @ApiOkResponse({ type: AgentOwnershipDto })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'schema_violation, forbidden_key ...' })
  register(@Param('agentId') agentId: string, @Body() body: unknown): Promise<AgentOwnershipDto> {
    return this.agents.register(agentId, body);
  }

  @Delete(':agentId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Forget an agent (it disconnected)' })
  @ApiNoContentResponse({ description: 'Forgotten' })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'unknown_agent' })
  unregister(@Param('agentId') agentId: string): Promise<void> {
    return this.agents.unregister(agentId);
  }
}
