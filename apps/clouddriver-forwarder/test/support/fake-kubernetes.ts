import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Resource = 'endpointslices' | 'endpoints';
type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';
type KubeObject = { metadata: { name: string; namespace?: string; resourceVersion?: string } } & Record<
  string,
  unknown
>;

const KINDS: Record<Resource, { kind: string; apiVersion: string; group: string }> = {
  endpointslices: { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', group: 'discovery.k8s.io' },
  endpoints: { kind: 'Endpoints', apiVersion: 'v1', group: '' },
};

interface OpenWatch {
  resource: Resource;
  res: ServerResponse;
  /** The client asked for BOOKMARK events (allowWatchBookmarks=true). */
  bookmarks: boolean;
}

export interface AccessReviewSeen {
  namespace: string;
  verb: string;
  group: string;
  resource: string;
}

/**
 * A small Kubernetes API server speaking the real wire format for what the forwarder uses:
 * SelfSubjectAccessReviews answered from a set of grants, API discovery of discovery.k8s.io/v1,
 * lists (with resourceVersion, limit/continue) and chunked watch streams of ADDED, MODIFIED,
 * DELETED, BOOKMARK and ERROR events, replayed from a resourceVersion; a resourceVersion older
 * than the last compaction gets an ERROR event with a 410 Status (or, optionally, HTTP 410 Gone).
 * Lists and watches are refused with 403 unless granted, like RBAC would.
 */
export class FakeKubernetes extends EventEmitter {
  url = '';
  servesEndpointSlices = true;
  /** Answer a watch on a compacted resourceVersion with HTTP 410 instead of an ERROR event. */
  goneAsHttpStatus = false;
  readonly accessReviews: AccessReviewSeen[] = [];
  readonly requests: { method: string; path: string; query: Record<string, string> }[] = [];
  private server!: Server;
  private rv = 1000;
  private compactedAt = 0;
  private readonly objects: Record<Resource, Map<string, KubeObject>> = {
    endpointslices: new Map(),
    endpoints: new Map(),
  };
  private readonly history: { resource: Resource; rv: number; type: EventType; object: KubeObject }[] = [];
  private readonly watches = new Set<OpenWatch>();
  private readonly grants = new Set<string>();

  constructor(readonly namespace: string) {
    super();
  }

  static async start(namespace: string): Promise<FakeKubernetes> {
    const k8s = new FakeKubernetes(namespace);
    k8s.server = createServer((req, res) => k8s.handle(req, res));
    await new Promise<void>((resolve) => k8s.server.listen(0, '127.0.0.1', resolve));
    k8s.url = `http://127.0.0.1:${(k8s.server.address() as AddressInfo).port}`;
    return k8s;
  }

  /** Grants verbs on a resource in the namespace (what a Role rule does). */
  grant(resource: Resource, ...verbs: string[]): void {
    for (const verb of verbs) this.grants.add(`${verb} ${resource}`);
  }

  revokeAll(): void {
    this.grants.clear();
  }

  /** Creates or replaces an object: an ADDED or MODIFIED event on open watches. */
  apply(resource: Resource, object: KubeObject): void {
    const exists = this.objects[resource].has(object.metadata.name);
    this.record(resource, exists ? 'MODIFIED' : 'ADDED', object);
  }

  remove(resource: Resource, name: string): void {
    const object = this.objects[resource].get(name);
    if (object) this.record(resource, 'DELETED', object);
  }

  /** Forgets the event history: a watch resuming from an older resourceVersion gets 410 Gone. */
  compact(): void {
    this.compactedAt = this.rv;
    this.history.length = 0;
  }

  /** Sends a BOOKMARK (the current resourceVersion) on every open watch that asked for them. */
  bookmark(): void {
    for (const watch of this.watches) {
      if (!watch.bookmarks) continue;
      const { kind, apiVersion } = KINDS[watch.resource];
      send(watch.res, {
        type: 'BOOKMARK',
        object: { kind, apiVersion, metadata: { resourceVersion: String(this.rv) } },
      });
    }
  }

  /** Ends every open watch cleanly, as the API server does when a watch's timeout is reached. */
  endWatches(): void {
    for (const watch of this.watches) watch.res.end();
    this.watches.clear();
  }

  /** The latest resourceVersion (one counter for every resource, like etcd's). */
  get resourceVersion(): string {
    return String(this.rv);
  }

  /** Cuts every open watch mid-stream (the connection dies without the chunked stream ending). */
  breakWatches(): void {
    for (const watch of this.watches) watch.res.socket?.destroy();
    this.watches.clear();
  }

  openWatches(resource: Resource): number {
    return [...this.watches].filter((w) => w.resource === resource).length;
  }

  /** Resolves once a watch on `resource` is open (at once if one is). */
  async watching(resource: Resource): Promise<void> {
    while (!this.openWatches(resource)) await once(this, 'watch');
  }

  async close(): Promise<void> {
    this.breakWatches();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private record(resource: Resource, type: EventType, object: KubeObject): void {
    this.rv++;
    const stored: KubeObject = {
      ...KINDS[resource],
      ...object,
      metadata: { ...object.metadata, namespace: this.namespace, resourceVersion: String(this.rv) },
    };
    if (type === 'DELETED') this.objects[resource].delete(object.metadata.name);
    else this.objects[resource].set(object.metadata.name, stored);
    this.history.push({ resource, rv: this.rv, type, object: stored });
    for (const watch of this.watches)
      if (watch.resource === resource) send(watch.res, { type, object: stored });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const query = Object.fromEntries(url.searchParams);
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query });
    const ns = this.namespace;
    const path = url.pathname;
    if (req.method === 'POST' && path === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews') {
      return this.accessReview(req, res);
    }
    if (req.method === 'GET' && path === '/apis/discovery.k8s.io/v1') {
      if (!this.servesEndpointSlices)
        return status(res, 404, 'NotFound', 'the server could not find the requested resource');
      return json(res, 200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: 'discovery.k8s.io/v1',
        resources: [
          {
            name: 'endpointslices',
            singularName: 'endpointslice',
            namespaced: true,
            kind: 'EndpointSlice',
            verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
          },
        ],
      });
    }
    const resource: Resource | undefined =
      path === `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices` && this.servesEndpointSlices
        ? 'endpointslices'
        : path === `/api/v1/namespaces/${ns}/endpoints`
          ? 'endpoints'
          : undefined;
    if (req.method !== 'GET' || !resource) {
      return status(res, 404, 'NotFound', 'the server could not find the requested resource');
    }
    const watch = query.watch === 'true' || query.watch === '1';
    const verb = watch ? 'watch' : 'list';
    if (!this.grants.has(`${verb} ${resource}`)) {
      const { group } = KINDS[resource];
      return status(
        res,
        403,
        'Forbidden',
        `${resource}${group ? `.${group}` : ''} is forbidden: User "system:serviceaccount:${ns}:clouddriver-forwarder" cannot ${verb} resource "${resource}" in API group "${group}" in the namespace "${ns}"`,
      );
    }
    if (watch) this.watch(resource, query, res);
    else this.list(resource, query, res);
  }

  private list(resource: Resource, query: Record<string, string>, res: ServerResponse): void {
    const all = [...this.objects[resource].values()].map(({ kind: _k, apiVersion: _a, ...item }) => item);
    const offset = query.continue ? Number(Buffer.from(query.continue, 'base64url').toString()) : 0;
    const limit = query.limit ? Number(query.limit) : all.length;
    const items = all.slice(offset, offset + limit);
    const next =
      offset + limit < all.length ? Buffer.from(String(offset + limit)).toString('base64url') : undefined;
    const { kind, apiVersion } = KINDS[resource];
    this.emit('list', resource);
    json(res, 200, {
      kind: `${kind}List`,
      apiVersion,
      metadata: { resourceVersion: String(this.rv), ...(next ? { continue: next } : {}) },
      items,
    });
  }

  private watch(resource: Resource, query: Record<string, string>, res: ServerResponse): void {
    const from = Number(query.resourceVersion || this.rv);
    if (from < this.compactedAt) {
      const message = `too old resource version: ${from} (${this.compactedAt})`;
      if (this.goneAsHttpStatus) return status(res, 410, 'Expired', message);
      res.writeHead(200, { 'content-type': 'application/json' });
      send(res, {
        type: 'ERROR',
        object: {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message,
          reason: 'Expired',
          code: 410,
        },
      });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    for (const event of this.history) {
      if (event.resource === resource && event.rv > from)
        send(res, { type: event.type, object: event.object });
    }
    const open: OpenWatch = { resource, res, bookmarks: query.allowWatchBookmarks === 'true' };
    this.watches.add(open);
    const timeout = query.timeoutSeconds
      ? setTimeout(
          () => {
            this.watches.delete(open);
            res.end();
          },
          Number(query.timeoutSeconds) * 1000,
        )
      : undefined;
    res.on('close', () => {
      clearTimeout(timeout);
      this.watches.delete(open);
    });
    this.emit('watch', resource, query);
  }

  private accessReview(req: IncomingMessage, res: ServerResponse): void {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const review = JSON.parse(text) as { spec: { resourceAttributes: AccessReviewSeen } };
      const attributes = review.spec.resourceAttributes;
      this.accessReviews.push({
        namespace: attributes.namespace,
        verb: attributes.verb,
        group: attributes.group ?? '',
        resource: attributes.resource,
      });
      const resource = Object.keys(KINDS).find(
        (r) => r === attributes.resource && KINDS[r as Resource].group === (attributes.group ?? ''),
      ) as Resource | undefined;
      const allowed =
        attributes.namespace === this.namespace &&
        !!resource &&
        this.grants.has(`${attributes.verb} ${resource}`);
      json(res, 201, {
        ...review,
        metadata: { creationTimestamp: null },
        status: allowed ? { allowed: true, reason: 'RBAC: allowed by RoleBinding' } : { allowed: false },
      });
    });
  }
}

function send(res: ServerResponse, event: unknown): void {
  res.write(`${JSON.stringify(event)}\n`);
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  json(res, code, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  });
}
