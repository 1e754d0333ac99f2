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
  const metricsRes = await fetch(new URL('/metrics', baseUrl));
  const openApi = await json<{ paths?: Record<string, unknown> }>('/api-docs/json');
  return {
    live: await json('/health/live'),
    ready: await json('/health/ready'),
    metrics: {
      status: metricsRes.status,
      contentType: metricsRes.headers.get('content-type'),
      text: await metricsRes.text(),
    },
    openApi: { status: openApi.status, paths: Object.keys(openApi.body.paths ?? {}) },
  };
}
