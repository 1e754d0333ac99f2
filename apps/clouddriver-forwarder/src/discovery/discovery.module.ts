import { Module } from '@nestjs/common';
import { ClouddriverDiscovery } from './clouddriver-discovery.service';
import { KubernetesDiscoveryReadiness } from './discovery.readiness';
import { InstanceRegistry } from './instance-registry.service';

/** Kubernetes discovery of Clouddriver pods and the instance map it keeps. */
@Module({
  providers: [InstanceRegistry, ClouddriverDiscovery, KubernetesDiscoveryReadiness],
  exports: [InstanceRegistry, ClouddriverDiscovery, KubernetesDiscoveryReadiness],
})
export class DiscoveryModule {}
