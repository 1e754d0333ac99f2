import { Body, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { errorBody } from '../common/openapi.util';
import { type CachedIdentifiers, OnDemandRequestService } from './on-demand-request.service';
import { type OnDemandEntry, OnDemandStatusService } from './on-demand-status.service';
import { onDemandDocs } from './on-demand.dto';

const TYPE_PARAM = {
  name: 'type',
  description:
    'ServerGroup, LoadBalancer or SecurityGroup (case-insensitive); other types have nothing to wait for',
};

/** Clouddriver's force-refresh API (docs/architecture.md#clouddriver-compatible-force-refresh), so an unmodified Orca works against this service. */
@ApiTags('force refresh (Clouddriver-compatible)')
@Controller('cache/aws')
export class OnDemandController {
  constructor(
    private readonly requests: OnDemandRequestService,
    private readonly status: OnDemandStatusService,
  ) {}

  @Post(':type')
  @ApiOperation({
    summary: 'Force a cache refresh, as Orca calls Clouddriver',
    description:
      '202 with the pending keys and a Location header (absolute URL) to GET /refreshes/{id}; 200 with {} when there is nothing to ' +
      'wait for (unknown type, account or region, or a server group whose Auto Scaling group our last read found being deleted). ' +
      'Empty optional fields ("vpcId": "") mean "not given". Bodies: ServerGroup {serverGroupName, asgName, account, region[, zone]}, ' +
      'LoadBalancer {loadBalancerName, account, region, loadBalancerType?, vpcId?, evict?}, SecurityGroup ' +
      '{account, region, securityGroupName?, vpcId?, evict?}. Extra fields are ignored.',
  })
  @ApiParam(TYPE_PARAM)
  @ApiBody({ schema: onDemandDocs.body })
  @ApiAcceptedResponse({
    schema: onDemandDocs.cachedIdentifiers,
    description: 'refresh pending; see Location',
  })
  @ApiOkResponse({ schema: onDemandDocs.cachedIdentifiers, description: 'nothing to wait for' })
  @ApiBadRequestResponse({
    schema: errorBody,
    description: 'malformed body (malformed_json, schema_violation, forbidden_key)',
  })
  @ApiPayloadTooLargeResponse({ schema: errorBody, description: 'payload_too_large (over 256 KiB)' })
  async request(
    @Param('type') type: string,
    @Body() body: unknown,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CachedIdentifiers> {
    const result = await this.requests.request(type, body);
    res.status(result.status);
    if (result.location) res.setHeader('Location', absoluteLocation(req, result.location));
    return result.body;
  }

  @Get(':type')
  @ApiOperation({
    summary: 'Pending and processed on-demand entries, as Orca polls them',
    description:
      'Server groups: pending and recently processed entries; load balancers and security groups: pending only.',
  })
  @ApiParam(TYPE_PARAM)
  @ApiQuery({ name: 'id', required: false, description: 'one key only' })
  @ApiOkResponse({ schema: onDemandDocs.entries })
  @ApiBadRequestResponse({ schema: errorBody, description: 'schema_violation' })
  list(@Param('type') type: string, @Query() query: unknown): Promise<OnDemandEntry[]> {
    return this.status.list(type, query);
  }
}

const HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The Location as an absolute URL on the host the caller used: Orca's webhook stage polls the
 * header as it is, and not every Orca release resolves a relative one against the stage's URL.
 * The scheme honours X-Forwarded-Proto (TLS ended at an Ingress). A Host that is not a plain
 * host[:port] gets the relative path instead of being echoed.
 */
export function absoluteLocation(req: Pick<Request, 'headers' | 'protocol'>, path: string): string {
  const host = req.headers.host;
  if (!host || !HOST.test(host)) return path;
  const forwarded = req.headers['x-forwarded-proto'];
  const proto = typeof forwarded === 'string' ? forwarded.split(',')[0].trim().toLowerCase() : '';
  const scheme = proto === 'https' || proto === 'http' ? proto : req.protocol;
  return `${scheme}://${host}${path}`;
}
