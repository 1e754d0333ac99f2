import { Body, Controller, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CacheRefreshService } from './cache-refresh.service';
import { callerOf, sendUpstream } from './caller';
import { ForwardingResponses } from './responses';
import { ForwarderAuth } from './forwarder-auth.guard';

@ApiTags('cache')
@Controller('cache')
@ForwarderAuth()
export class CacheRefreshController {
  constructor(private readonly refreshes: CacheRefreshService) {}

  @Post(':provider/:type')
  @ApiOperation({
    summary: 'Forward an on-demand cache refresh to a ready Clouddriver instance',
    description:
      "Clouddriver's force-cache-refresh API. Goes to the instance owning the account (`credentials`) when it is known and ready, otherwise to the next ready instance (round robin).",
  })
  @ApiParam({ name: 'provider', example: 'aws' })
  @ApiParam({ name: 'type', example: 'serverGroup' })
  @ApiBody({
    description: "Clouddriver's on-demand body, forwarded as is",
    schema: {
      type: 'object',
      additionalProperties: true,
      example: { credentials: 'prod', region: 'us-east-1', serverGroupName: 'app-main-v042' },
    },
  })
  @ForwardingResponses()
  async refresh(
    @Param() params: Record<string, string>,
    @Body() body: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    sendUpstream(res, await this.refreshes.forward(params, body, callerOf(req)));
  }
}
