import { request } from 'node:http';

export interface SlowUploadOptions {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /** Bytes written before waiting for the answer (in 16 KiB chunks). */
  send: number;
  /**
   * `Content-Length` announced; the client never sends more than `send`, so a server that waits
   * for the whole body never answers. Omitted: chunked transfer encoding, never ended.
   */
  declaredLength?: number;
  /** How long to wait for an answer before failing (the server waited for the body). */
  answerWithinMs?: number;
}

export interface SlowUploadAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** Body bytes the client had written when the answer's head arrived. */
  bytesWritten: number;
}

const CHUNK = 16 * 1024;

/**
 * An upload that never completes: writes `send` bytes of the body, then waits for the server's
 * answer without ever ending the request. A server that checks before reading (authentication,
 * `Content-Length`) or stops reading at its limit answers; one that buffers the whole body first
 * never does, and the upload rejects after `answerWithinMs`.
 */
export function slowUpload(baseUrl: string, options: SlowUploadOptions): Promise<SlowUploadAnswer> {
  const url = new URL(options.path, baseUrl);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...(options.declaredLength === undefined
      ? { 'transfer-encoding': 'chunked' }
      : { 'content-length': String(options.declaredLength) }),
    ...options.headers,
  };
  return new Promise((resolve, reject) => {
    let written = 0;
    let answered = false;
    const req = request(url, { method: options.method ?? 'POST', headers });
    const timer = setTimeout(() => {
      req.destroy();
      reject(
        new Error(`no answer within ${options.answerWithinMs ?? 5_000} ms: the server waited for the body`),
      );
    }, options.answerWithinMs ?? 5_000);
    const writeMore = (): void => {
      if (answered || written >= options.send) return;
      const size = Math.min(CHUNK, options.send - written);
      written += size;
      if (req.write(Buffer.alloc(size, 0x20))) setImmediate(writeMore);
      else req.once('drain', writeMore);
    };
    req.on('response', (res) => {
      answered = true;
      const bytesWritten = written;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, bytesWritten });
      });
    });
    // Writing into a connection the server closed after answering fails; the answer is what counts.
    req.on('error', (error) => {
      if (answered) return;
      clearTimeout(timer);
      reject(error);
    });
    req.flushHeaders();
    writeMore();
  });
}
