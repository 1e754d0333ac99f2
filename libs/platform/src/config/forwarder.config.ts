import { z } from 'zod';

/** clouddriver-forwarder: Kubernetes discovery and forwarding. Owned by the forwarder service. */
export const forwarderSchema = z.strictObject({
  /** Endpoints / EndpointSlices whose (service) name starts with this are Clouddriver instances. */
  endpointPrefix: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
    .default('spin-clouddriver'),
  /** Name of the HTTP port on those endpoints. */
  portName: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
    .default('http'),
});
