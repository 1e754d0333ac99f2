import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { MetricsService } from '../metrics/metrics.service';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const QUIET_PATHS = new Set(['/health/live', '/health/ready', '/metrics']);

declare module 'express' {
  interface Request {
    id?: string;
  }
}

/**
 * Gives every request an id (a well-formed `X-Request-Id` header is kept, anything else replaced),
 * echoes it back, logs one JSON line per request when it finishes (probes and scrapes at debug
 * level so they do not drown the log) and counts it in `event_cache_http_request_duration_seconds`
 * by route pattern (never the raw path, which would explode label cardinality).
 */
export function requestLogging(logger: Logger, metrics: MetricsService) {
  const duration = metrics.histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests served, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.header('x-request-id');
    const id = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const line = { requestId: id, method: req.method, path: req.path, status: res.statusCode, durationMs };
      const route = (req.route as { path?: string } | undefined)?.path;
      duration.observe(
        {
          method: req.method,
          route: route ? `${req.baseUrl}${route}` : 'unmatched',
          status: String(res.statusCode),
        },
        durationMs / 1000,
      );
      if (QUIET_PATHS.has(req.path)) logger.debug(line, 'request');
      else logger.info(line, 'request');
    });
    next();
  };
}
