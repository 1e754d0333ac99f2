import { isIPv6 } from 'node:net';
import type { V1Endpoints, V1EndpointSlice, V1ObjectReference } from '@kubernetes/client-node';

/** A Clouddriver pod as one Endpoints / EndpointSlice object shows it. */
export interface DiscoveredInstance {
  /** The pod name (the address's `targetRef`). */
  id: string;
  /** `http://<ip>:<port>` of the named port. */
  baseUrl: string;
  ready: boolean;
}

export interface InstanceFilter {
  /** Only objects of Services whose name starts with this. */
  prefix: string;
  /** Only this named port (Clouddriver's REST port; the gRPC port is ignored). */
  portName: string;
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/**
 * Clouddriver instances listed by EndpointSlices: slices of Services named with the prefix (their
 * `kubernetes.io/service-name` label), IPv4/IPv6 slices with the named port, endpoints backed by a
 * pod. Readiness follows `conditions.ready` (unset means ready, as the API documents); a
 * terminating pod is not ready. A pod in several slices (dual stack, several Services) is merged.
 */
export function instancesFromEndpointSlices(
  slices: readonly V1EndpointSlice[],
  filter: InstanceFilter,
): DiscoveredInstance[] {
  const found: DiscoveredInstance[] = [];
  for (const slice of slices) {
    const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!service?.startsWith(filter.prefix)) continue;
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    const port = slice.ports?.find((p) => p.name === filter.portName)?.port;
    if (!validPort(port)) continue;
    for (const endpoint of slice.endpoints ?? []) {
      const id = podName(endpoint.targetRef);
      const ip = endpoint.addresses?.[0];
      if (!id || !ip) continue;
      found.push({ id, baseUrl: baseUrl(ip, port), ready: endpoint.conditions?.ready ?? true });
    }
  }
  return merge(found);
}

/**
 * Clouddriver instances listed by (deprecated) Endpoints objects named with the prefix: every
 * subset with the named port, `addresses` ready and `notReadyAddresses` kept as not ready.
 */
export function instancesFromEndpoints(
  endpoints: readonly V1Endpoints[],
  filter: InstanceFilter,
): DiscoveredInstance[] {
  const found: DiscoveredInstance[] = [];
  for (const object of endpoints) {
    if (!object.metadata?.name?.startsWith(filter.prefix)) continue;
    for (const subset of object.subsets ?? []) {
      const port = subset.ports?.find((p) => p.name === filter.portName)?.port;
      if (!validPort(port)) continue;
      const addresses = [
        ...(subset.addresses ?? []).map((a) => ({ a, ready: true })),
        ...(subset.notReadyAddresses ?? []).map((a) => ({ a, ready: false })),
      ];
      for (const { a, ready } of addresses) {
        const id = podName(a.targetRef);
        if (!id || !a.ip) continue;
        found.push({ id, baseUrl: baseUrl(a.ip, port), ready });
      }
    }
  }
  return merge(found);
}

function podName(ref: V1ObjectReference | undefined): string | undefined {
  return ref?.name && (ref.kind === undefined || ref.kind === 'Pod') ? ref.name : undefined;
}

function validPort(port: number | undefined): port is number {
  return Number.isInteger(port) && port! > 0 && port! < 65_536;
}

function baseUrl(ip: string, port: number): string {
  return `http://${isIPv6(ip) ? `[${ip}]` : ip}:${port}`;
}

/**
 * One entry per pod, sorted by id: the best view wins (ready if any view says ready, then IPv4,
 * then the smaller URL), so the result does not depend on the order objects were listed in.
 */
function merge(found: DiscoveredInstance[]): DiscoveredInstance[] {
  const byId = new Map<string, DiscoveredInstance>();
  for (const candidate of found) {
    const current = byId.get(candidate.id);
    if (!current || rank(candidate) < rank(current)) byId.set(candidate.id, candidate);
  }
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Lower is better: ready before not ready, IPv4 before IPv6, then the smaller URL. */
function rank(i: DiscoveredInstance): string {
  return `${i.ready ? 0 : 1}${i.baseUrl.startsWith('http://[') ? 1 : 0}${i.baseUrl}`;
}
