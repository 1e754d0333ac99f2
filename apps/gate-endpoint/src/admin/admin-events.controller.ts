import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AdminAuthGuard } from '@event-cache/platform';
import { errorBody } from '../common/openapi.util';
import { AdminEventsService, type EventView } from './admin-events.service';
import { adminDocs } from './admin.dto';

@ApiTags('admin')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ schema: errorBody, description: 'missing or wrong bearer token (admin.token)' })
@UseGuards(AdminAuthGuard)
@Controller('admin/events')
export class AdminEventsController {
  constructor(private readonly events: AdminEventsService) {}

  @Get()
  @ApiOperation({ summary: 'The event audit trail, newest first' })
  @ApiQuery({ name: 'limit', required: false, description: '1-1000, default 100' })
  @ApiQuery({
    name: 'outcome',
    required: false,
    enum: ['pending', 'refreshed', 'adjusted', 'ignored', 'rejected', 'heartbeat'],
  })
  @ApiQuery({
    name: 'reason',
    required: false,
    description: 'e.g. unknown_account, unsupported_event, malformed_json',
  })
  @ApiQuery({
    name: 'before',
    required: false,
    description: 'only events received before this time (ISO-8601)',
  })
  @ApiQuery({ name: 'cursor', required: false, description: 'next page: the nextCursor of the previous one' })
  @ApiOkResponse({ schema: adminDocs.events })
  @ApiBadRequestResponse({
    schema: errorBody,
    description: 'schema_violation (also: a cursor not of this API)',
  })
  list(@Query() query: unknown): Promise<{ items: EventView[]; nextCursor: string | null }> {
    return this.events.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One event of the audit trail' })
  @ApiOkResponse({ schema: adminDocs.event })
  @ApiBadRequestResponse({ schema: errorBody, description: 'schema_violation, malformed_path' })
  @ApiNotFoundResponse({ schema: errorBody })
  find(@Param('id') id: string): Promise<EventView> {
    return this.events.find(id);
  }
}
