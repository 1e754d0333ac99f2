import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorDto } from './dto/clouddriver-instance.dto';

/** OpenAPI answers every forwarding route shares; `badRequest` adds the route's own 400 codes. */
export function ForwardingResponses(badRequest = ''): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiResponse({
      status: '2XX',
      description: "The Clouddriver instance's answer, status and body unchanged (also 4XX and 5XX it sends)",
    }),
    ApiResponse({
      status: 400,
      type: ErrorDto,
      description: `malformed_json, schema_violation, forbidden_key${badRequest ? `, ${badRequest}` : ''}`,
    }),
    ApiResponse({ status: 413, type: ErrorDto, description: 'payload_too_large: body over 256 KiB' }),
    ApiResponse({
      status: 502,
      type: ErrorDto,
      description: 'forward_failed: the instance could not be reached',
    }),
    ApiResponse({
      status: 503,
      type: ErrorDto,
      description: 'clouddriver_unavailable: the owning instance is unknown, not ready or gone',
      headers: {
        'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } },
      },
    }),
    ApiResponse({
      status: 504,
      type: ErrorDto,
      description: 'forward_timeout: the instance did not answer in time',
    }),
  );
}
