import { EventEmitter } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface CannedAnswer {
  status: number;
  body: string;
  contentType?: string;
  /** Answer only after this long (to trip the forwarder's timeout). */
  delayMs?: number;
}

/**
 * A Clouddriver pod's REST port: records what it receives and answers with canned answers per
 * path (queued answers first, then the path's default, then 200 `{"handledBy": id}`).
 */
export class FakeClouddriver extends EventEmitter {
  readonly received: ReceivedRequest[] = [];
  port = 0;
  private server!: Server;
  private readonly queued = new Map<string, CannedAnswer[]>();
  private readonly defaults = new Map<string, CannedAnswer>();

  constructor(readonly id: string) {
    super();
  }

  static async start(id: string): Promise<FakeClouddriver> {
    const fake = new FakeClouddriver(id);
    fake.server = createServer((req, res) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (text += chunk));
      req.on('end', () => {
        const path = req.url ?? '/';
        fake.received.push({
          method: req.method ?? 'GET',
          path,
          headers: req.headers,
          body: text ? (JSON.parse(text) as unknown) : undefined,
        });
        const answer = fake.queued.get(path)?.shift() ??
          fake.defaults.get(path) ?? { status: 200, body: JSON.stringify({ handledBy: id }) };
        const reply = () => {
          if (res.destroyed) return;
          res.writeHead(answer.status, { 'content-type': answer.contentType ?? 'application/json' });
          res.end(answer.body);
        };
        if (answer.delayMs) setTimeout(reply, answer.delayMs);
        else reply();
      });
    });
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The next request to `path` gets this answer (queued in order). */
  answerOnce(path: string, answer: CannedAnswer): void {
    this.queued.set(path, [...(this.queued.get(path) ?? []), answer]);
  }

  /** Every request to `path` gets this answer (after the queued ones). */
  answer(path: string, answer: CannedAnswer | undefined): void {
    if (answer) this.defaults.set(path, answer);
    else this.defaults.delete(path);
  }

  requestsTo(path: string): ReceivedRequest[] {
    return this.received.filter((r) => r.path === path);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
