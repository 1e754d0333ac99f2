import { Controller, Headers, HttpCode, Post, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiForbiddenResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ReadsOwnBody } from '@event-cache/platform';
import type { Request } from 'express';
import { z } from 'zod';
import { errorBody, openApiSchema } from '../common/openapi.util';
import { type SnsReceipt, SnsService } from './sns.service';

const receipt = openApiSchema(
  z.object({
    type: z.enum(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']),
    eventId: z.string().optional(),
    status: z.enum(['accepted', 'duplicate', 'confirmed', 'noted']),
  }),
);

@ApiTags('events')
@Controller('events')
export class SnsController {
  constructor(private readonly sns: SnsService) {}

  @Post('sns')
  @HttpCode(200)
  @ReadsOwnBody()
  @ApiOperation({
    summary: 'SNS HTTPS subscription endpoint',
    description:
      'SNS posts JSON as text/plain; the body is read as text whatever its content type. The message is verified ' +
      '(signature version 1 or 2, signing certificate on an SNS host, topic allowlist, age) before anything acts on it. ' +
      'SubscriptionConfirmation: SubscribeURL is visited after every check passed. Notification: its event goes into ' +
      'the inbox; 200 is answered after commit. The body is read up to 256 KiB and no further.',
  })
  @ApiConsumes('text/plain', 'application/json')
  @ApiBody({ schema: { type: 'string', description: 'the SNS message JSON, as SNS sends it' } })
  @ApiHeader({
    name: 'x-amz-sns-message-type',
    required: false,
    description: 'must match the body Type when sent',
  })
  @ApiOkResponse({ schema: receipt })
  @ApiBadRequestResponse({
    schema: errorBody,
    description: 'malformed_json, forbidden_key, schema_violation, unsupported_event',
  })
  @ApiForbiddenResponse({
    schema: errorBody,
    description:
      'invalid_signature, untrusted_cert_url, untrusted_subscribe_url, unsupported_signature_version, untrusted_topic, message_too_old, invalid_certificate',
  })
  @ApiPayloadTooLargeResponse({ schema: errorBody, description: 'payload_too_large (over 256 KiB)' })
  @ApiServiceUnavailableResponse({ schema: errorBody, description: 'certificate_unavailable: SNS retries' })
  receive(@Req() req: Request, @Headers('x-amz-sns-message-type') messageType?: string): Promise<SnsReceipt> {
    return this.sns.receive(req, messageType);
  }
}
