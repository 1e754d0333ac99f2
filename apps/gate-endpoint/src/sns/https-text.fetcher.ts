/**
 * GETs a small text document over HTTPS with a timeout and a size limit, following no redirects
 * (a redirect could lead away from the SNS host the URL was checked against).
 */
export async function fetchText(
  url: string,
  options: { timeoutMs: number; maxBytes: number },
): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs), redirect: 'error' });
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error(`HTTP ${res.status}`);
  }
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > options.maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error(`response larger than ${options.maxBytes} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader: ReadableStreamDefaultReader<Uint8Array> | undefined = res.body?.getReader();
  for (;;) {
    const next = await reader?.read();
    if (!next || next.done) break;
    size += next.value.byteLength;
    if (size > options.maxBytes) {
      await reader?.cancel().catch(() => undefined);
      throw new Error(`response larger than ${options.maxBytes} bytes`);
    }
    chunks.push(next.value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
