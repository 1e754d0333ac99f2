import { Body, Controller, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { callerOf, sendUpstream } from './caller';
import { ErrorDto } from './dto/clouddriver-instance.dto';
import { OperationRequestDto, OperationResultRequestDto } from './dto/operation.dto';
import { OperationForwardingService } from './operation-forwarding.service';
import { ForwardingResponses } from './responses';
import { ForwarderAuth } from './forwarder-auth.guard';

@ApiTags('armory')
@Controller('armory/agent')
@ForwarderAuth()
export class AgentOperationsController {
  constructor(private readonly operations: OperationForwardingService) {}

  @Post('operations')
  @ApiOperation({
    summary: 'Forward an operation to the Clouddriver instance owning the agent',
    description:
      "Finds the owner through the agent registrations (agent, else account), remembers which instance sent the operation, and forwards it to the owner's same path.",
  })
  @ApiBody({ type: OperationRequestDto })
  @ForwardingResponses('unknown_sender (the sending instance cannot be told)')
  async forwardOperation(@Body() body: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    sendUpstream(res, await this.operations.forwardOperation(body, callerOf(req)));
  }

  @Post('operationresults')
  @ApiOperation({
    summary: 'Route an operation result back to the Clouddriver instance that sent the operation',
  })
  @ApiBody({ type: OperationResultRequestDto })
  @ForwardingResponses()
  @ApiResponse({
    status: 404,
    type: ErrorDto,
    description: 'unknown_operation: no such operation was forwarded',
  })
  async forwardResult(@Body() body: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    sendUpstream(res, await this.operations.forwardResult(body, callerOf(req)));
  }
}
