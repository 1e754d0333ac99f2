import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InstanceRegistry } from '../discovery/instance-registry.service';
import { ClouddriverInstanceDto } from './dto/clouddriver-instance.dto';
import { ForwarderAuth } from './forwarder-auth.guard';

@ApiTags('armory')
@Controller('armory/clouddrivers')
@ForwarderAuth()
export class ClouddriversController {
  constructor(private readonly registry: InstanceRegistry) {}

  @Get()
  @ApiOperation({
    summary: 'Discovered Clouddriver instances',
    description:
      "This replica's view of the Clouddriver pods, from the Kubernetes watch, sorted by pod name.",
  })
  @ApiOkResponse({ type: [ClouddriverInstanceDto] })
  list(): ClouddriverInstanceDto[] {
    return this.registry.list().map((i) => ({
      id: i.id,
      baseUrl: i.baseUrl,
      lastUpdated: i.lastUpdated.toISOString(),
      ready: i.ready,
    }));
  }
}
