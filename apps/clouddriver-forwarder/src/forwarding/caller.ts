import type { Request, Response } from 'express';
import type { UpstreamResponse } from './clouddriver.client';

/** Who called, as far as forwarding cares. */
export interface Caller {
  /** The caller's IP address (IPv4-mapped IPv6 unwrapped). */
  address?: string;
  /** Headers passed on to the Clouddriver instance: the request id and Spinnaker's user headers. */
  headers: Record<string, string>;
}

export function callerOf(req: Request): Caller {
  const headers: Record<string, string> = {};
  if (req.id) headers['x-request-id'] = req.id;
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith('x-spinnaker-') && typeof value === 'string') headers[name] = value;
  }
  const address = req.socket.remoteAddress?.replace(/^::ffff:/, '');
  return { address, headers };
}

/** Answers with what the Clouddriver instance answered: its status, content type and body. */
export function sendUpstream(res: Response, upstream: UpstreamResponse): void {
  res.status(upstream.status);
  if (upstream.contentType) res.setHeader('Content-Type', upstream.contentType);
  res.setHeader('X-Clouddriver-Id', upstream.instanceId);
  res.end(upstream.body);
}
