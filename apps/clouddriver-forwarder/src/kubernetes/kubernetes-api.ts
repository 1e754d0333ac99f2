import {
  ApiException,
  AuthorizationV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  type KubeConfig,
  type KubernetesListObject,
  ListWatch,
  Observable,
  type RequestContext,
  type ResponseContext,
  type V1Endpoints,
  type V1EndpointSlice,
  Watch,
} from '@kubernetes/client-node';
import {
  type AccessCheck,
  type AccessResult,
  ENDPOINT_RESOURCES,
  type EndpointResource,
} from './access-review';

export type EndpointObject = V1EndpointSlice | V1Endpoints;

/** Objects per list page: a namespace with thousands of Services is listed in bounded pieces. */
const LIST_PAGE_SIZE = 500;

/**
 * The forwarder's view of the Kubernetes API (the only file that calls `@kubernetes/client-node`
 * besides the config resolution): access reviews, API discovery, and list+watch informers.
 * Every plain API call carries a timeout.
 */
export class KubernetesApi {
  private readonly authorization: AuthorizationV1Api;
  private readonly discovery: DiscoveryV1Api;
  private readonly core: CoreV1Api;

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly timeoutMs: number,
  ) {
    this.authorization = kubeConfig.makeApiClient(AuthorizationV1Api);
    this.discovery = kubeConfig.makeApiClient(DiscoveryV1Api);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
  }

  /** Asks the API server, with one SelfSubjectAccessReview per check, what this identity may do. */
  reviewAccess(checks: readonly AccessCheck[]): Promise<AccessResult[]> {
    return Promise.all(
      checks.map(async (check) => {
        const review = await this.authorization.createSelfSubjectAccessReview(
          {
            body: {
              apiVersion: 'authorization.k8s.io/v1',
              kind: 'SelfSubjectAccessReview',
              spec: {
                resourceAttributes: {
                  namespace: check.namespace,
                  verb: check.verb,
                  group: ENDPOINT_RESOURCES[check.resource].group,
                  resource: ENDPOINT_RESOURCES[check.resource].resource,
                },
              },
            },
          },
          this.withTimeout(),
        );
        return { ...check, allowed: review.status?.allowed === true };
      }),
    );
  }

  /** Whether the API server serves discovery.k8s.io/v1 EndpointSlices (Kubernetes >= 1.21). */
  async servesEndpointSlices(): Promise<boolean> {
    try {
      const list = await this.discovery.getAPIResources({}, this.withTimeout());
      return list.resources.some((r) => r.name === 'endpointslices');
    } catch (e) {
      if (e instanceof ApiException && e.code === 404) return false;
      throw e;
    }
  }

  /**
   * A list+watch informer on one resource of one namespace (not started). Watches ask for
   * bookmarks (so a resumed watch rarely hits 410 Gone) and end server-side after
   * `watchTimeoutSeconds`, when the informer resumes from the last resourceVersion; a watch still
   * open well past that (a silently dead connection) is aborted and reported as an error.
   * `onListed` runs after every successful (re-)list, `onWatching` whenever a watch is open.
   */
  informer(
    resource: EndpointResource,
    namespace: string,
    options: { watchTimeoutSeconds: number; onListed: () => void; onWatching: () => void },
  ): { informer: ListWatch<EndpointObject>; stop: () => Promise<void> } {
    const ns = encodeURIComponent(namespace);
    const path =
      resource === 'endpointslices'
        ? `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`
        : `/api/v1/namespaces/${ns}/endpoints`;
    const watch = new ResumableWatch(this.kubeConfig, options.watchTimeoutSeconds, options.onWatching);
    const list = async (): Promise<KubernetesListObject<EndpointObject>> => {
      const result = await this.listAll(resource, namespace);
      options.onListed();
      return result;
    };
    const informer = new ListWatch<EndpointObject>(path, watch, list, false);
    return {
      informer,
      stop: async () => {
        watch.stopped = true;
        await informer.stop();
      },
    };
  }

  private async listAll(
    resource: EndpointResource,
    namespace: string,
  ): Promise<KubernetesListObject<EndpointObject>> {
    const items: EndpointObject[] = [];
    let page: KubernetesListObject<EndpointObject>;
    let _continue: string | undefined;
    do {
      const request = { namespace, limit: LIST_PAGE_SIZE, _continue };
      page =
        resource === 'endpointslices'
          ? await this.discovery.listNamespacedEndpointSlice(request, this.withTimeout())
          : await this.core.listNamespacedEndpoints(request, this.withTimeout());
      items.push(...page.items);
      _continue = page.metadata?._continue || undefined;
    } while (_continue);
    // Every page of a paginated list is served from the same snapshot: one resourceVersion.
    return { apiVersion: page.apiVersion, kind: page.kind, metadata: page.metadata, items };
  }

  /** Per-call options: abort the request after the configured timeout. */
  private withTimeout() {
    const timeoutMs = this.timeoutMs;
    return {
      middleware: [
        {
          pre: (context: RequestContext) => {
            context.setSignal(AbortSignal.timeout(timeoutMs));
            return new Observable(Promise.resolve(context));
          },
          post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
        },
      ],
      middlewareMergeStrategy: 'append' as const,
    };
  }
}

/** Extra time a watch may stay open past its server-side timeout before it is considered dead. */
const WATCH_DEADLINE_GRACE_SECONDS = 30;

/**
 * The client's Watch with what a long-running informer needs: bookmarks, a server-side timeout,
 * a client-side deadline, and no new connection once stopped (ListWatch.stop() cannot abort a
 * watch whose connection is still being opened).
 */
class ResumableWatch extends Watch {
  stopped = false;

  constructor(
    config: KubeConfig,
    private readonly timeoutSeconds: number,
    private readonly onOpen: () => void,
  ) {
    super(config);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    let finished = false;
    let deadline: NodeJS.Timeout | undefined;
    const controller = await super.watch(
      path,
      { ...queryParams, allowWatchBookmarks: true, timeoutSeconds: this.timeoutSeconds },
      callback,
      (err) => {
        finished = true;
        clearTimeout(deadline);
        done(err);
      },
    );
    if (this.stopped) controller.abort();
    else if (!finished) {
      deadline = setTimeout(
        () => controller.abort(),
        (this.timeoutSeconds + WATCH_DEADLINE_GRACE_SECONDS) * 1000,
      );
      this.onOpen();
    }
    return controller;
  }
}

/** A short, secret-free description of a Kubernetes client error. */
export function describeKubernetesError(e: unknown): string {
  if (e instanceof ApiException) {
    const body = e.body as { message?: unknown } | string | undefined;
    const detail =
      typeof body === 'object' && body && typeof body.message === 'string'
        ? body.message
        : typeof body === 'string'
          ? body.slice(0, 200)
          : '';
    return `HTTP ${e.code}${detail ? `: ${detail}` : ''}`;
  }
  const err = e as { statusCode?: unknown; message?: unknown; code?: unknown; cause?: { code?: unknown } };
  if (typeof err?.statusCode === 'number') return `HTTP ${err.statusCode}: ${String(err.message)}`;
  const code =
    typeof err?.code === 'string' ? err.code : typeof err?.cause?.code === 'string' ? err.cause.code : '';
  const message = (typeof err?.message === 'string' ? err.message : String(e)).split('\n')[0];
  return code && !message.includes(code) ? `${message} (${code})` : message;
}
