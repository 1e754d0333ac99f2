import { Controller, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AdminAuthGuard, parseInput } from '@event-cache/platform';
import { z } from 'zod';
import { DeadLetterQueue, type RedriveReport } from '../sqs/dead-letter-queue.service';

const DEFAULT_MAX = 1_000;
const LIMIT = 10_000;

const redriveQuery = z.strictObject({
  max: z
    .string()
    .regex(/^\d{1,5}$/, 'a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(LIMIT))
    .optional(),
});

const errorBody = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
  required: ['error', 'message'],
};

@ApiTags('admin')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ schema: errorBody, description: 'missing or wrong bearer token (admin.token)' })
@UseGuards(AdminAuthGuard)
@Controller('admin/dlq')
export class DeadLetterController {
  constructor(private readonly dlq: DeadLetterQueue) {}

  @Post('redrive')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Redrive the dead-letter queue into the inbox',
    description:
      'Receives up to `max` messages of sqs.deadLetterQueueUrl and processes them exactly as fresh queue messages (validated, inboxed with dedupe by event id); each is deleted from the DLQ only after its inbox row is committed. Stops at the first batch the inbox cannot take; messages it leaves stay in the DLQ.',
  })
  @ApiQuery({
    name: 'max',
    required: false,
    description: `messages at most, 1-${LIMIT}, default ${DEFAULT_MAX}`,
  })
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: {
        received: { type: 'integer', description: 'messages taken from the DLQ' },
        moved: { type: 'integer', description: 'committed to the inbox, then deleted from the DLQ' },
        retained: {
          type: 'integer',
          description: 'left in the DLQ (visible again after the visibility timeout)',
        },
        remaining: {
          type: 'integer',
          nullable: true,
          description: "the DLQ's ApproximateNumberOfMessages after",
        },
      },
      required: ['received', 'moved', 'retained', 'remaining'],
    },
  })
  @ApiBadRequestResponse({
    schema: errorBody,
    description: 'schema_violation: max out of range, or another key',
  })
  @ApiNotFoundResponse({ schema: errorBody, description: 'not_found: sqs.deadLetterQueueUrl is not set' })
  @ApiConflictResponse({ schema: errorBody, description: 'conflict: a redrive is already running' })
  @ApiServiceUnavailableResponse({
    schema: errorBody,
    description: 'database_unavailable: the inbox cannot be written now (Retry-After)',
  })
  redrive(@Query() query: unknown): Promise<RedriveReport> {
    return this.dlq.redrive(parseInput(redriveQuery, query ?? {}, 'query').max ?? DEFAULT_MAX);
  }
}
