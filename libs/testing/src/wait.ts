/**
 * Polls `probe` until it returns something other than undefined or false, every 50 ms; fails
 * after `timeoutMs` naming `what`. For conditions a test waits on (no timing assertions).
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** What a service answered: status, headers and the body (parsed when JSON). */
export interface Answer {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of any route
}

/**
 * One HTTP call that must be answered: a call still unanswered after `timeoutMs` (15 s) fails,
 * so a route that hangs fails the test instead of stalling it. A string body is sent as it is,
 * anything else as JSON.
 */
export async function answerOf(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Answer> {
  const { body, headers = {}, timeoutMs = 15_000 } = options;
  const res = await fetch(new URL(path, baseUrl), {
    method,
    signal: AbortSignal.timeout(timeoutMs),
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body: parsed };
}
