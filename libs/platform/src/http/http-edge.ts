import type { Server } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { AppConfig } from '../config/config.schema';
import { CodedError } from '../errors/coded-error';
import { PlatformErrorCode } from '../errors/coded-error.filter';

/**
 * Refuses a path whose percent-encoding does not decode (`%E0%A4%A`, `%ZZ`) before any route
 * sees it: 400 `malformed_path`, without quoting it (Express would answer its own 400 naming the
 * raw parameter). The query string is not affected: its parser tolerates such sequences.
 */
export function rejectMalformedPaths(req: Request, _res: Response, next: NextFunction): void {
  try {
    decodeURIComponent(req.path);
    next();
  } catch {
    next(new CodedError(PlatformErrorCode.MalformedPath, 'the path holds an invalid percent-encoding'));
  }
}

/**
 * The server's own limits (`http.*`), so that slow or numerous clients cannot hold its memory:
 * the time to send the request head and the whole request, how long an idle keep-alive
 * connection stays open, and how many connections are open at once (more are closed on arrival).
 */
export function applyServerLimits(server: Server, http: AppConfig['http']): void {
  server.headersTimeout = http.headersTimeoutMs;
  server.requestTimeout = http.requestTimeoutMs;
  server.keepAliveTimeout = http.keepAliveTimeoutMs;
  server.maxConnections = http.maxConnections;
  // Node checks both timeouts on this period (30 s by default): check often enough to honour them.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(
    1_000,
    http.headersTimeoutMs,
  );
}
