import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AgentIntrospection, IntrospectionService } from './introspection.service';
import { onDemandDocs } from './on-demand.dto';

@ApiTags('force refresh (Clouddriver-compatible)')
@Controller('cache')
export class IntrospectionController {
  constructor(private readonly introspection: IntrospectionService) {}

  @Get('introspection')
  @ApiOperation({
    summary: "Every caching agent in Clouddriver's introspection fields, most recently started first",
  })
  @ApiOkResponse({ schema: onDemandDocs.introspection })
  agents(): Promise<AgentIntrospection[]> {
    return this.introspection.agents();
  }
}
