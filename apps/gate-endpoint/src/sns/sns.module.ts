import { Module } from '@nestjs/common';
import { IngestModule } from '../ingest/ingest.module';
import { SnsController } from './sns.controller';
import { SnsService } from './sns.service';
import { snsVerifierProvider } from './sns-verifier.provider';
import { SubscriptionConfirmer } from './subscription-confirmer.service';

@Module({
  imports: [IngestModule],
  controllers: [SnsController],
  providers: [SnsService, SubscriptionConfirmer, snsVerifierProvider],
})
export class SnsModule {}
