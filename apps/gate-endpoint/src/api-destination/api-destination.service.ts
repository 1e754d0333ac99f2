import { Injectable } from '@nestjs/common';
import { parseApiDestinationBody } from '@event-cache/events';
import { InboxIntakeService, type IntakeReceipt } from '../ingest/inbox-intake.service';

/** EventBridge API destination: one event per request, into the inbox. */
@Injectable()
export class ApiDestinationService {
  constructor(private readonly intake: InboxIntakeService) {}

  async receive(body: unknown): Promise<IntakeReceipt> {
    const parsed = parseApiDestinationBody(Buffer.isBuffer(body) ? body : Buffer.alloc(0));
    if (!parsed.ok) throw this.intake.rejection('api', parsed);
    return this.intake.accept(parsed.value, 'api');
  }
}
