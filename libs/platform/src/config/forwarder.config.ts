import { z } from 'zod';

/** A Kubernetes object name (RFC 1123 label): what namespaces, Services and port names look like. */
const dnsLabel = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'lowercase letters, digits and "-" (a Kubernetes name)');

const ms = (min: number, max: number) => z.number().int().min(min).max(max);

/** clouddriver-forwarder: Kubernetes discovery and forwarding. Owned by the forwarder service. */
export const forwarderSchema = z
  .strictObject({
    /** Endpoints / EndpointSlices whose (service) name starts with this are Clouddriver instances. */
    endpointPrefix: dnsLabel.default('spin-clouddriver'),
    /** Name of the HTTP port on those endpoints (the gRPC port is ignored). */
    portName: dnsLabel.default('http'),
    /** Namespace to watch; defaults to the pod's own (service account), else the kubeconfig context's. */
    namespace: dnsLabel.optional(),
    /** What to watch: EndpointSlices, or the deprecated Endpoints (also used when slices are not served). */
    resource: z.enum(['endpointslices', 'endpoints']).default('endpointslices'),
    /** Kubeconfig file; defaults to the in-cluster service account, else KUBECONFIG, else ~/.kube/config. */
    kubeconfig: z.string().min(1).optional(),
    /** Timeout of one Kubernetes API call (list, access review). */
    kubernetesTimeoutMs: ms(100, 300_000).default(10_000),
    /** The API server ends each watch after this long and the forwarder resumes it (no re-list). */
    watchTimeoutSeconds: z.number().int().min(5).max(3_600).default(300),
    /** Reconnect backoff after a failed list/watch or permission check: doubles up to the maximum. */
    backoffInitialMs: ms(1, 60_000).default(1_000),
    backoffMaxMs: ms(1, 600_000).default(30_000),
    /** Timeout of one forwarded request to a Clouddriver instance. */
    forwardTimeoutMs: ms(100, 600_000).default(10_000),
    /** Extra attempts when an instance does not answer or answers 502/503/504. */
    forwardRetries: z.number().int().min(0).max(5).default(2),
    /** `Retry-After` sent with a 503 when the owning instance is unknown, not ready or gone. */
    retryAfterSeconds: z.number().int().min(1).max(3_600).default(5),
    /** How long the instance that sent an operation is remembered, to route its results back. */
    operationTtlSeconds: z
      .number()
      .int()
      .min(60)
      .max(7 * 86_400)
      .default(3_600),
    /**
     * Shared bearer token (FORWARDER_TOKEN): when set, every /armory and /cache route needs
     * `Authorization: Bearer <token>`, and event-scheduler sends it. Unset: open, as Armory's.
     */
    token: z.string().min(16, 'at least 16 characters').optional(),
  })
  .refine((f) => f.backoffMaxMs >= f.backoffInitialMs, {
    path: ['backoffMaxMs'],
    message: 'must not be below backoffInitialMs',
  });
