import { Injectable } from '@nestjs/common';
import { parseApiDestinationBody } from '@event-cache/events';
import type { Request } from 'express';
import { InboxIntakeService, type IntakeReceipt } from '../ingest/inbox-intake.service';

/** EventBridge API destination: one event per request, into the inbox. */
@Injectable()
export class ApiDestinationService {
  constructor(private readonly intake: InboxIntakeService) {}

  async receive(req: Request): Promise<IntakeReceipt> {
    const parsed = parseApiDestinationBody(await this.intake.body('api', req));
    if (!parsed.ok) throw this.intake.rejection('api', parsed);
    return this.intake.accept(parsed.value, 'api');
  }
}
