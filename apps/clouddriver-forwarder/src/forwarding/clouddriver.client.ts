import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, CodedError, MetricsService } from '@event-cache/platform';
import type { Counter } from 'prom-client';
import type { ClouddriverInstanceState } from '../discovery/instance-registry.service';
import { AppErrorCode } from '../error-status';
import { type ForwardRoute, forwardsCounter } from './forward-metrics';

/** What a Clouddriver instance answered: passed back to the caller unchanged. */
export interface UpstreamResponse {
  status: number;
  contentType: string | null;
  body: Buffer;
  /** The instance (pod name) that answered. */
  instanceId: string;
}

export interface ForwardRequest {
  route: ForwardRoute;
  /** Path on the instance, e.g. `/armory/agent/operations`. */
  path: string;
  body: unknown;
  /** Headers passed on (request id, Spinnaker user headers). */
  headers: Record<string, string>;
}

/** Statuses that say the instance did not process the request: tried again. */
const RETRYABLE_STATUSES = new Set([502, 503, 504]);
/** Error codes of a request that never reached the instance (or a stale kept-alive connection). */
const RETRYABLE_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const RETRY_DELAY_MS = 100;
/** Clouddriver's answers to these routes are small; anything bigger is not passed on. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/**
 * Forwards one request to a Clouddriver instance over REST, with a timeout per attempt and a
 * bounded number of retries. The target is resolved again before every attempt (an instance that
 * went away in between is not tried; round-robin callers fail over to the next instance). Retried:
 * connection failures and 502/503/504 answers. Not retried: a timeout (the instance may still be
 * processing the request). The last answer is returned as is, whatever its status.
 */
@Injectable()
export class ClouddriverClient {
  private readonly logger = new Logger(ClouddriverClient.name);
  private readonly forwards: Counter<'route' | 'outcome'>;
  private readonly timeoutMs: number;
  private readonly retries: number;

  constructor(metrics: MetricsService, @Inject(APP_CONFIG) config: AppConfig) {
    this.timeoutMs = config.forwarder.forwardTimeoutMs;
    this.retries = config.forwarder.forwardRetries;
    this.forwards = forwardsCounter(metrics);
  }

  async forward(
    request: ForwardRequest,
    resolveTarget: () => ClouddriverInstanceState,
  ): Promise<UpstreamResponse> {
    for (let attempt = 0; ; attempt++) {
      // Throws (and counts) clouddriver_unavailable when no ready target is left.
      const target = resolveTarget();
      const retriesLeft = attempt < this.retries;
      const url = `${target.baseUrl}${request.path}`;
      let response: UpstreamResponse;
      try {
        response = await this.send(url, request, target.id);
      } catch (e) {
        const failure = classify(e);
        if (failure.retryable && retriesLeft) {
          this.logger.warn({ msg: `retrying ${request.route} on ${target.id}: ${failure.detail}`, attempt });
          await delay(RETRY_DELAY_MS * 2 ** attempt);
          continue;
        }
        this.forwards.inc({ route: request.route, outcome: failure.outcome });
        throw new CodedError(
          failure.outcome === 'timeout' ? AppErrorCode.ForwardTimeout : AppErrorCode.ForwardFailed,
          failure.outcome === 'timeout'
            ? `Clouddriver instance "${target.id}" did not answer within ${this.timeoutMs} ms`
            : `cannot forward to Clouddriver instance "${target.id}" (${target.baseUrl}): ${failure.detail}${attempt ? ` (after ${attempt + 1} attempts)` : ''}`,
        );
      }
      if (RETRYABLE_STATUSES.has(response.status) && retriesLeft) {
        this.logger.warn({
          msg: `retrying ${request.route}: ${target.id} answered ${response.status}`,
          attempt,
        });
        await delay(RETRY_DELAY_MS * 2 ** attempt);
        continue;
      }
      this.forwards.inc({
        route: request.route,
        outcome: response.status < 500 ? 'answered' : 'upstream_error',
      });
      return response;
    }
  }

  private async send(url: string, request: ForwardRequest, instanceId: string): Promise<UpstreamResponse> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { ...request.headers, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(request.body),
      redirect: 'manual',
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    if (res.body) {
      for await (const chunk of res.body) {
        size += (chunk as Uint8Array).byteLength;
        // Leaving the loop by throwing cancels the body (and frees the connection).
        if (size > MAX_RESPONSE_BYTES) throw new ResponseTooLarge();
        chunks.push(Buffer.from(chunk as Uint8Array));
      }
    }
    return {
      status: res.status,
      contentType: res.headers.get('content-type'),
      body: Buffer.concat(chunks),
      instanceId,
    };
  }
}

class ResponseTooLarge extends Error {
  constructor() {
    super(`the answer is larger than ${MAX_RESPONSE_BYTES} bytes`);
  }
}

function classify(e: unknown): {
  outcome: 'timeout' | 'unreachable';
  retryable: boolean;
  detail: string;
} {
  if (e instanceof ResponseTooLarge) return { outcome: 'unreachable', retryable: false, detail: e.message };
  const name = (e as { name?: unknown })?.name;
  if (name === 'TimeoutError' || name === 'AbortError')
    return { outcome: 'timeout', retryable: false, detail: 'timeout' };
  const cause = (e as { cause?: { code?: unknown; message?: unknown } })?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const detail =
    code ?? (typeof cause?.message === 'string' ? cause.message : String((e as Error)?.message ?? e));
  return { outcome: 'unreachable', retryable: code !== undefined && RETRYABLE_ERRORS.has(code), detail };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
