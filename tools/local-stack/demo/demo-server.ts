import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  readJsonInput,
  readQueryInput,
  WIRE_SERVICES,
  WireError,
  type WireOperation,
  type WireProtocol,
  wireOperation,
  writeError,
  writeOutput,
} from './aws-wire';

/** The largest request body read (the agents' calls are a few KiB). */
const MAX_BODY_BYTES = 1024 * 1024;

/** Answers one call: the output shape, or a `WireError`. */
export type AwsAnswer = (operation: WireOperation, input: Record<string, unknown>) => object;

export interface AwsEndpoint {
  /** `http://127.0.0.1:<port>`: what `aws.endpoint` points at. */
  url: string;
  /** Calls answered, by `<service>:<Operation>` (tests, and the start-up summary). */
  calls: Map<string, number>;
  close(): Promise<void>;
}

/**
 * An HTTP endpoint on the loopback interface that speaks the AWS protocols of EC2, Auto Scaling,
 * ELBv2 and CloudWatch, so real AWS SDK clients (`aws.endpoint`) can call it. A query-protocol
 * request is routed by its `Version`, a JSON one by its `X-Amz-Target`; signatures are not checked
 * (any credentials do, the demo's are fake).
 */
export async function startAwsEndpoint(answer: AwsAnswer, port = 0): Promise<AwsEndpoint> {
  const calls = new Map<string, number>();
  const server = createServer((req, res) => {
    handle(req, res, answer, calls).catch((e: unknown) => {
      if (!res.headersSent) reply(res, 'awsQuery', internal(e));
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${address.port}`, calls, close: () => closeServer(server) };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  answer: AwsAnswer,
  calls: Map<string, number>,
): Promise<void> {
  const target = req.headers['x-amz-target'];
  const protocol: WireProtocol = typeof target === 'string' ? 'awsJson1_0' : 'awsQuery';
  if (req.method !== 'POST') {
    return reply(
      res,
      protocol,
      new WireError('InvalidAction', `${req.method} is not supported: POST the call`),
    );
  }
  const body = await readBody(req);
  if (body === undefined)
    return reply(res, protocol, new WireError('RequestEntityTooLarge', 'The request body is too large', 413));

  let operation: WireOperation;
  let input: Record<string, unknown>;
  try {
    if (typeof target === 'string') {
      const [prefix, action = ''] = target.split('.');
      const service = WIRE_SERVICES.find((s) => s.protocol === 'awsJson1_0' && s.version === prefix);
      const found = service && wireOperation(service, action);
      if (!found) return reply(res, protocol, unknownOperation(target));
      operation = found;
      input = await readJsonInput(operation, body);
    } else {
      const params = new URLSearchParams(body);
      const action = params.get('Action') ?? '';
      const version = params.get('Version') ?? '';
      const service = WIRE_SERVICES.find((s) => s.protocol !== 'awsJson1_0' && s.version === version);
      const found = service && wireOperation(service, action);
      if (!found)
        return reply(
          res,
          service?.protocol ?? 'awsQuery',
          unknownOperation(`${action.slice(0, 80)} (Version ${version.slice(0, 20)})`),
        );
      operation = found;
      input = readQueryInput(operation, params);
    }
  } catch (e) {
    return reply(res, protocol, e instanceof WireError ? e : internal(e));
  }

  const key = `${operation.service.name}:${operation.name}`;
  calls.set(key, (calls.get(key) ?? 0) + 1);
  let output: object;
  try {
    output = answer(operation, input);
  } catch (e) {
    return reply(res, operation.service.protocol, e instanceof WireError ? e : internal(e));
  }
  const requestId = randomUUID();
  const text = writeOutput(operation, output, requestId);
  res.writeHead(200, {
    'content-type': operation.service.protocol === 'awsJson1_0' ? 'application/x-amz-json-1.0' : 'text/xml',
    'x-amzn-requestid': requestId,
  });
  res.end(text);
}

function reply(res: ServerResponse, protocol: WireProtocol, error: WireError): void {
  const requestId = randomUUID();
  const { contentType, body, headers } = writeError(
    protocol,
    { code: error.code, message: error.message, status: error.status },
    requestId,
  );
  res.writeHead(error.status, { 'content-type': contentType, 'x-amzn-requestid': requestId, ...headers });
  res.end(body);
}

function unknownOperation(what: string): WireError {
  return new WireError('InvalidAction', `The action ${what} is not valid for this web service.`);
}

function internal(e: unknown): WireError {
  process.stderr.write(`demo AWS endpoint: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return new WireError('InternalFailure', 'The demo estate failed to answer (see its log)', 500);
}

/** The body as text, or undefined past the limit (announced or read). */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
    req.resume();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
