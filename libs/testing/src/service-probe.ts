/** What a running service answers on its operational routes (for e2e tests). */
export interface ServiceProbe {
  live: { status: number; body: { status?: string } };
  ready: { status: number; body: { status?: string; details?: Record<string, { status: string }> } };
  metrics: { status: number; contentType: string | null; text: string };
  openApi: { status: number; paths: string[] };
}

export async function probeService(baseUrl: string): Promise<ServiceProbe> {
  const json = async <T>(path: string) => {
    const res = await fetch(new URL(path, baseUrl));
    return { status: res.status, body: (await res.json()) as T };
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
  };
}
