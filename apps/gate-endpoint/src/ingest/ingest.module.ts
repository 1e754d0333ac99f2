import { Module } from '@nestjs/common';
import { InboxBatcher } from './inbox-batcher.service';
import { InboxIntakeService } from './inbox-intake.service';

@Module({ providers: [InboxIntakeService, InboxBatcher], exports: [InboxIntakeService] })
export class IngestModule {}
