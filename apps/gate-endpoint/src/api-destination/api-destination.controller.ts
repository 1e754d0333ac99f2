import { Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiHeader,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ReadsOwnBody } from '@event-cache/platform';
import type { Request } from 'express';
import { z } from 'zod';
import { errorBody, openApiSchema } from '../common/openapi.util';
import type { IntakeReceipt } from '../ingest/inbox-intake.service';
import { ApiDestinationService } from './api-destination.service';
import { ApiKeyGuard } from './api-key.guard';

const eventSchema = openApiSchema(
  z.looseObject({
    version: z.string(),
    id: z.string(),
    'detail-type': z.string(),
    source: z.string(),
    account: z.string(),
    time: z.string(),
    region: z.string(),
    resources: z.array(z.string()),
    detail: z.unknown(),
  }),
);

@ApiTags('events')
@Controller('events')
export class ApiDestinationController {
  constructor(private readonly apiDestination: ApiDestinationService) {}

  @Post()
  @HttpCode(202)
  @UseGuards(ApiKeyGuard)
  @ReadsOwnBody()
  @ApiOperation({
    summary: 'EventBridge API-destination endpoint: one EventBridge event per request',
    description:
      'Answered 202 once the event is committed to the inbox (a second copy answers status "duplicate"). ' +
      'The API key is checked before the body is read; the body is read up to 256 KiB and no further.',
  })
  @ApiHeader({
    name: 'x-api-key',
    description: 'the shared secret events.apiKey (header name: events.apiKeyHeader)',
  })
  @ApiBody({ schema: eventSchema })
  @ApiAcceptedResponse({
    schema: openApiSchema(z.object({ eventId: z.string(), status: z.enum(['accepted', 'duplicate']) })),
  })
  @ApiBadRequestResponse({
    schema: errorBody,
    description: 'malformed_json, forbidden_key, schema_violation',
  })
  @ApiUnauthorizedResponse({ schema: errorBody, description: 'missing or wrong API key' })
  @ApiPayloadTooLargeResponse({ schema: errorBody, description: 'payload_too_large (over 256 KiB)' })
  receive(@Req() req: Request): Promise<IntakeReceipt> {
    return this.apiDestination.receive(req);
  }
}
