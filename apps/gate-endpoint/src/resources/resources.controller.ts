import { Controller, Get, Param, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { z } from 'zod';
import { errorBody, openApiSchema } from '../common/openapi.util';
import { type ResourceView, ResourcesService } from './resources.service';

const resource = z.object({
  key: z.string(),
  type: z.string(),
  account: z.string().nullable(),
  region: z.string().nullable(),
  application: z.string().nullable(),
  agent: z.string().nullable(),
  attributes: z.record(z.string(), z.unknown()),
  fetchedAt: z.string().describe('when the AWS read that produced this row started'),
  changedAt: z.string(),
  relationships: z.record(z.string(), z.array(z.string())).describe('related keys by type, both directions'),
});

@ApiTags('cache (read API)')
@Controller('resources')
export class ResourcesController {
  constructor(private readonly resources: ResourcesService) {}

  @Get(':type')
  @ApiOperation({
    summary: 'A page of cached resources of one type (instances, serverGroups, ...), in key order',
  })
  @ApiParam({ name: 'type', description: 'cache type, e.g. instances' })
  @ApiQuery({ name: 'account', required: false })
  @ApiQuery({ name: 'region', required: false })
  @ApiQuery({ name: 'application', required: false })
  @ApiQuery({
    name: 'key',
    required: false,
    description: 'glob on the key, e.g. aws:instances:prod:us-east-1:*',
  })
  @ApiQuery({ name: 'limit', required: false, description: '1-1000, default 100' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiOkResponse({
    schema: openApiSchema(z.object({ items: z.array(resource), nextCursor: z.string().nullable() })),
  })
  @ApiBadRequestResponse({
    schema: errorBody,
    description: 'schema_violation (also: a cursor not of this API)',
  })
  list(
    @Param('type') type: string,
    @Query() query: unknown,
  ): Promise<{ items: ResourceView[]; nextCursor: string | null }> {
    return this.resources.list(type, query);
  }

  @Get(':type/:key')
  @ApiOperation({ summary: 'One cached resource with its relationships (URL-encode the key)' })
  @ApiOkResponse({ schema: openApiSchema(resource) })
  @ApiBadRequestResponse({ schema: errorBody, description: 'schema_violation, malformed_path' })
  @ApiNotFoundResponse({ schema: errorBody })
  find(@Param('type') type: string, @Param('key') key: string): Promise<ResourceView> {
    return this.resources.find(type, key);
  }
}
