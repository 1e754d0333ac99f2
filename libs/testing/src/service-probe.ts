/** What a running service answers on its operational routes (for e2e tests). */
export interface ServiceProbe {
  live: { status: number; body: { status?: string } };
  ready: { status: number; body: { status?: string; details?: Record<string, { status: string }> } };
  metrics: { status: number; contentType: string | null; text: string };
  openApi: { status: number; paths: string[] };
  /** What a route that does not exist, and a path that does not decode, answer. */
  errors: Record<'unknownRoute' | 'malformedPath', ErrorAnswer>;
}

export interface ErrorAnswer {
  status: number;
  error: unknown;
  /** The body's fields, sorted. */
  fields: string[];
}

/** What every service answers to the error probes: `{error, message}` with a code. */
export const HTTP_STACK_ERRORS: ServiceProbe['errors'] = {
  unknownRoute: { status: 404, error: 'not_found', fields: ['error', 'message'] },
  malformedPath: { status: 400, error: 'malformed_path', fields: ['error', 'message'] },
};

export async function probeService(baseUrl: string): Promise<ServiceProbe> {
  const json = async <T>(path: string) => {
    const res = await fetch(new URL(path, baseUrl));
    return { status: res.status, body: (await res.json()) as T };
  };
  const error = async (path: string): Promise<ErrorAnswer> => {
    const { status, body } = await json<Record<string, unknown>>(path);
    return { status, error: body.error, fields: Object.keys(body).sort() };
  };
  // In this order: the metrics scrape sees the two probes before it.
  const live = await json<ServiceProbe['live']['body']>('/health/live');
  const ready = await json<ServiceProbe['ready']['body']>('/health/ready');
  const metricsRes = await fetch(new URL('/metrics', baseUrl));
  const metrics = {
    status: metricsRes.status,
    contentType: metricsRes.headers.get('content-type'),
    text: await metricsRes.text(),
  };
  const openApi = await json<{ paths?: Record<string, unknown> }>('/api-docs/json');
  return {
    live,
    ready,
    metrics,
    openApi: { status: openApi.status, paths: Object.keys(openApi.body.paths ?? {}) },
    errors: { unknownRoute: await error('/no/such/route'), malformedPath: await error('/health/%E0%A4%A') },
  };
}
