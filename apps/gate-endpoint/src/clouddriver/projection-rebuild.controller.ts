import { Controller, Get, HttpCode, Post, Query, Res, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AdminAuthGuard, parseInput } from '@event-cache/platform';
import type { Response } from 'express';
import { z } from 'zod';
import { errorBody } from '../common/openapi.util';
import { formats } from '../common/request-input.util';
import { ProjectionRebuildService, type RebuildStatus } from './projection-rebuild.service';

const rebuildQuery = z.strictObject({
  batchSize: formats.queryInt(10, 10_000).default(1_000),
});

const statusSchema = {
  type: 'object',
  properties: {
    state: { type: 'string', enum: ['idle', 'running', 'succeeded', 'failed'] },
    startedAt: { type: 'string', nullable: true, format: 'date-time' },
    finishedAt: { type: 'string', nullable: true, format: 'date-time' },
    progress: {
      type: 'object',
      nullable: true,
      description:
        'phase (project, sweep, done), resources projected, rows checked and removed, write counts',
    },
    error: { type: 'string', nullable: true },
  },
};

@ApiTags('admin')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ schema: errorBody, description: 'missing or wrong bearer token (admin.token)' })
@ApiNotFoundResponse({
  schema: errorBody,
  description: 'projection_disabled: clouddriver.cache.enabled is false',
})
@UseGuards(AdminAuthGuard)
@Controller('admin/clouddriver/rebuild')
export class ProjectionRebuildController {
  constructor(private readonly rebuild: ProjectionRebuildService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary:
      "Write Clouddriver's cache tables anew from the cache (switch-over, format change), in the background",
  })
  @ApiQuery({
    name: 'batchSize',
    required: false,
    description: 'resources per transaction, 10-10000 (default 1000)',
  })
  @ApiAcceptedResponse({ schema: statusSchema, description: 'started; poll the Location' })
  @ApiConflictResponse({ schema: errorBody, description: 'rebuild_running: one is already running' })
  async start(@Query() query: unknown, @Res({ passthrough: true }) res: Response): Promise<RebuildStatus> {
    const status = await this.rebuild.start(parseInput(rebuildQuery, query, 'query').batchSize);
    res.setHeader('Location', '/admin/clouddriver/rebuild');
    return status;
  }

  @Get()
  @ApiOperation({ summary: "This replica's last or running rebuild" })
  @ApiOkResponse({ schema: statusSchema })
  status(): RebuildStatus {
    return this.rebuild.current();
  }
}
