/** Realistic EndpointSlice and Endpoints objects of Clouddriver Services, as the API server stores them. */

export interface PodAddress {
  pod: string;
  ip: string;
  ready?: boolean;
  terminating?: boolean;
}

/** An EndpointSlice of `service` with Clouddriver's two ports: `http` (REST) and `grpc`. */
export function endpointSlice(
  name: string,
  service: string,
  port: number,
  pods: PodAddress[],
  options: { portName?: string; addressType?: string } = {},
) {
  return {
    metadata: {
      name,
      generateName: `${service}-`,
      labels: {
        'kubernetes.io/service-name': service,
        'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
        app: 'spin',
        cluster: service,
      },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: service, uid: `uid-${service}` }],
    },
    addressType: options.addressType ?? 'IPv4',
    endpoints: pods.map((p) => ({
      addresses: [p.ip],
      conditions: {
        ready: (p.ready ?? true) && !p.terminating,
        serving: p.ready ?? true,
        terminating: p.terminating ?? false,
      },
      nodeName: 'ip-10-0-1-23.ec2.internal',
      zone: 'us-east-1a',
      targetRef: { kind: 'Pod', name: p.pod, namespace: 'spinnaker', uid: `uid-${p.pod}` },
    })),
    ports: [
      { name: options.portName ?? 'http', port, protocol: 'TCP' },
      { name: 'grpc', port: 9091, protocol: 'TCP' },
    ],
  };
}

/** A (deprecated) Endpoints object of `service` with Clouddriver's `http` and `grpc` ports. */
export function endpoints(service: string, port: number, pods: PodAddress[]) {
  const address = (p: PodAddress) => ({
    ip: p.ip,
    nodeName: 'ip-10-0-1-23.ec2.internal',
    targetRef: { kind: 'Pod', name: p.pod, namespace: 'spinnaker', uid: `uid-${p.pod}` },
  });
  return {
    metadata: { name: service, labels: { app: 'spin', cluster: service } },
    subsets: [
      {
        addresses: pods.filter((p) => p.ready ?? true).map(address),
        notReadyAddresses: pods.filter((p) => !(p.ready ?? true)).map(address),
        ports: [
          { name: 'http', port, protocol: 'TCP' },
          { name: 'grpc', port: 9091, protocol: 'TCP' },
        ],
      },
    ],
  };
}
