import { Body, Controller, Delete, Put, Query, UseGuards } from '@nestjs/common';
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
import { AdminIntervalsService } from './admin-intervals.service';
import { adminDocs } from './admin.dto';

@ApiTags('admin')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ schema: errorBody, description: 'missing or wrong bearer token (admin.token)' })
@UseGuards(AdminAuthGuard)
@Controller('admin/intervals')
export class AdminIntervalsController {
  constructor(private readonly intervals: AdminIntervalsService) {}

  @Put()
  @ApiOperation({
    summary: 'Override the interval of the matched agents',
    description:
      'Match by agentId glob and/or account, region, kind; seconds or factor; optional expiry; who and why are kept.',
  })
  @ApiBody({ schema: adminDocs.intervalOverride })
  @ApiOkResponse({ schema: adminDocs.affected })
  @ApiBadRequestResponse({ schema: errorBody })
  @ApiNotFoundResponse({ schema: errorBody, description: 'no agent matched' })
  set(@Body() body: unknown): Promise<{ agents: string[] }> {
    return this.intervals.set(body);
  }

  @Delete()
  @ApiOperation({ summary: 'Remove the interval override of the matched agents (an empty match is refused)' })
  @ApiQuery({ name: 'agentId', required: false })
  @ApiQuery({ name: 'account', required: false })
  @ApiQuery({ name: 'region', required: false })
  @ApiQuery({ name: 'kind', required: false })
  @ApiOkResponse({ schema: adminDocs.affected })
  @ApiBadRequestResponse({ schema: errorBody })
  clear(@Query() query: unknown): Promise<{ agents: string[] }> {
    return this.intervals.clear(query);
  }
}
