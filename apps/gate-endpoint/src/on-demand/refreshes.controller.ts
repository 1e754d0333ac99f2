import { Controller, Get, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { errorBody } from '../common/openapi.util';
import { onDemandDocs } from './on-demand.dto';
import { RefreshStatusService, type RefreshStatusView } from './refresh-status.service';

@ApiTags('force refresh (Clouddriver-compatible)')
@Controller('refreshes')
export class RefreshesController {
  constructor(private readonly refreshes: RefreshStatusService) {}

  @Get(':id')
  @ApiOperation({
    summary: 'Status of one refresh (the Location of a 202), for webhook stages',
    description: 'PENDING until a fresh AWS read that started after cacheTime was written to the cache.',
  })
  @ApiOkResponse({ schema: onDemandDocs.refreshStatus })
  @ApiNotFoundResponse({ schema: errorBody })
  find(@Param('id') id: string): Promise<RefreshStatusView> {
    return this.refreshes.find(id);
  }
}
