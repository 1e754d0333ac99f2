import { Body, Controller, Get, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AdminAuthGuard } from '@event-cache/platform';
import { errorBody } from '../common/openapi.util';
import { AdminAgentsService, type AgentView } from './admin-agents.service';
import { adminDocs } from './admin.dto';

@ApiTags('admin')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ schema: errorBody, description: 'missing or wrong bearer token (admin.token)' })
@UseGuards(AdminAuthGuard)
@Controller('admin')
export class AdminAgentsController {
  constructor(private readonly agents: AdminAgentsService) {}

  @Get('agents')
  @ApiOperation({ summary: 'Caching agents: interval in force and why, next run, lease, last run' })
  @ApiQuery({ name: 'agentId', required: false, description: 'id or glob, e.g. prod/*/InstanceCachingAgent' })
  @ApiQuery({ name: 'account', required: false })
  @ApiQuery({ name: 'region', required: false })
  @ApiQuery({ name: 'kind', required: false })
  @ApiOkResponse({ schema: adminDocs.agents })
  list(@Query() query: unknown): Promise<AgentView[]> {
    return this.agents.list(query);
  }

  @Post('agents/pause')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pause the matched agents (an empty match is refused)' })
  @ApiBody({ schema: adminDocs.match })
  @ApiOkResponse({ schema: adminDocs.affected })
  @ApiBadRequestResponse({ schema: errorBody })
  @ApiNotFoundResponse({ schema: errorBody, description: 'no agent matched' })
  pause(@Body() body: unknown): Promise<{ agents: string[] }> {
    return this.agents.setPaused(body, true);
  }

  @Post('agents/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume the matched agents (an empty match is refused)' })
  @ApiBody({ schema: adminDocs.match })
  @ApiOkResponse({ schema: adminDocs.affected })
  @ApiBadRequestResponse({ schema: errorBody })
  @ApiNotFoundResponse({ schema: errorBody, description: 'no agent matched' })
  resume(@Body() body: unknown): Promise<{ agents: string[] }> {
    return this.agents.setPaused(body, false);
  }

  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({ summary: 'Refresh everything the matched agents cache, now (account, region, kinds)' })
  @ApiBody({ schema: adminDocs.refreshNow })
  @ApiOkResponse({ schema: adminDocs.affected })
  @ApiBadRequestResponse({ schema: errorBody })
  @ApiNotFoundResponse({ schema: errorBody, description: 'no agent matched' })
  refresh(@Body() body: unknown): Promise<{ agents: string[] }> {
    return this.agents.runNow(body);
  }
}
