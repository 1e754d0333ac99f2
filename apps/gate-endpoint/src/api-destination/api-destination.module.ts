import { Module } from '@nestjs/common';
import { IngestModule } from '../ingest/ingest.module';
import { ApiDestinationController } from './api-destination.controller';
import { ApiDestinationService } from './api-destination.service';
import { ApiKeyGuard } from './api-key.guard';

@Module({
  imports: [IngestModule],
  controllers: [ApiDestinationController],
  providers: [ApiDestinationService, ApiKeyGuard],
})
export class ApiDestinationModule {}
