import type { V1Endpoints, V1EndpointSlice } from '@kubernetes/client-node';
import { instancesFromEndpoints, instancesFromEndpointSlices } from './endpoint-instances';

const filter = { prefix: 'spin-clouddriver', portName: 'http' };

function slice(
  service: string | undefined,
  endpoints: V1EndpointSlice['endpoints'],
  overrides: Partial<V1EndpointSlice> = {},
): V1EndpointSlice {
  return {
    metadata: { name: `${service}-x1`, labels: service ? { 'kubernetes.io/service-name': service } : {} },
    addressType: 'IPv4',
    endpoints,
    ports: [
      { name: 'grpc', port: 9091 },
      { name: 'http', port: 7002 },
    ],
    ...overrides,
  };
}

const pod = (name: string, ip: string, conditions?: { ready?: boolean; terminating?: boolean }) => ({
  addresses: [ip],
  conditions,
  targetRef: { kind: 'Pod', name, namespace: 'spinnaker' },
});

describe('instancesFromEndpointSlices', () => {
  it('takes the http port of slices of Services named with the prefix; readiness from the conditions', () => {
    expect(
      instancesFromEndpointSlices(
        [
          slice('spin-clouddriver', [
            pod('cd-a', '10.0.3.17', { ready: true }),
            pod('cd-b', '10.0.3.18', { ready: false, terminating: true }),
            pod('cd-c', '10.0.3.19'), // no conditions: ready, as the API documents
          ]),
          slice('spin-clouddriver-ro', [pod('cd-ro-a', '10.0.3.30', { ready: true })]),
          slice('spin-gate', [pod('gate-a', '10.0.4.1', { ready: true })]),
          slice(undefined, [pod('orphan', '10.0.4.2', { ready: true })]),
        ],
        filter,
      ),
    ).toEqual([
      { id: 'cd-a', baseUrl: 'http://10.0.3.17:7002', ready: true },
      { id: 'cd-b', baseUrl: 'http://10.0.3.18:7002', ready: false },
      { id: 'cd-c', baseUrl: 'http://10.0.3.19:7002', ready: true },
      { id: 'cd-ro-a', baseUrl: 'http://10.0.3.30:7002', ready: true },
    ]);
  });

  it('ignores slices without the named port, FQDN slices and endpoints that are not pods', () => {
    expect(
      instancesFromEndpointSlices(
        [
          slice('spin-clouddriver', [pod('cd-a', '10.0.3.17')], { ports: [{ name: 'grpc', port: 9091 }] }),
          slice('spin-clouddriver', [pod('cd-b', 'cd.example.com')], { addressType: 'FQDN' }),
          slice('spin-clouddriver', [
            { addresses: ['10.0.3.20'], targetRef: { kind: 'Node', name: 'node-1' } },
            { addresses: ['10.0.3.21'] },
            { addresses: [], targetRef: { kind: 'Pod', name: 'cd-no-ip' } },
          ]),
        ],
        filter,
      ),
    ).toEqual([]);
  });

  it('merges a pod seen in several slices: ready wins, then IPv4 (dual stack), whatever the order', () => {
    const v6 = slice('spin-clouddriver', [pod('cd-a', 'fd00::17', { ready: true })], { addressType: 'IPv6' });
    const v4 = slice('spin-clouddriver', [pod('cd-a', '10.0.3.17', { ready: true })]);
    const v4Stale = slice('spin-clouddriver', [pod('cd-a', '10.0.3.99', { ready: false })]);
    for (const order of [
      [v6, v4, v4Stale],
      [v4Stale, v4, v6],
    ]) {
      expect(instancesFromEndpointSlices(order, filter)).toEqual([
        { id: 'cd-a', baseUrl: 'http://10.0.3.17:7002', ready: true },
      ]);
    }
    expect(instancesFromEndpointSlices([v6], filter)).toEqual([
      { id: 'cd-a', baseUrl: 'http://[fd00::17]:7002', ready: true },
    ]);
  });

  it('uses the configured prefix and port name', () => {
    const custom = slice('cd-main', [pod('cd-a', '10.0.3.17')], { ports: [{ name: 'rest', port: 8080 }] });
    expect(instancesFromEndpointSlices([custom], { prefix: 'cd-', portName: 'rest' })).toEqual([
      { id: 'cd-a', baseUrl: 'http://10.0.3.17:8080', ready: true },
    ]);
    expect(instancesFromEndpointSlices([custom], filter)).toEqual([]);
  });
});

describe('instancesFromEndpoints', () => {
  const address = (name: string, ip: string) => ({ ip, targetRef: { kind: 'Pod', name } });

  it('keeps not-ready addresses as not ready and ignores other Services and subsets without the port', () => {
    const objects: V1Endpoints[] = [
      {
        metadata: { name: 'spin-clouddriver' },
        subsets: [
          {
            addresses: [address('cd-a', '10.0.3.17')],
            notReadyAddresses: [address('cd-b', '10.0.3.18')],
            ports: [
              { name: 'http', port: 7002 },
              { name: 'grpc', port: 9091 },
            ],
          },
          { addresses: [address('cd-c', '10.0.3.19')], ports: [{ name: 'grpc', port: 9091 }] },
        ],
      },
      {
        metadata: { name: 'spin-echo' },
        subsets: [{ addresses: [address('echo', '10.0.5.1')], ports: [{ name: 'http', port: 8089 }] }],
      },
      { metadata: { name: 'spin-clouddriver-empty' } },
    ];
    expect(instancesFromEndpoints(objects, filter)).toEqual([
      { id: 'cd-a', baseUrl: 'http://10.0.3.17:7002', ready: true },
      { id: 'cd-b', baseUrl: 'http://10.0.3.18:7002', ready: false },
    ]);
  });
});
