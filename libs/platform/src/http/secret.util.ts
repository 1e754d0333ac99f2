import { createHash, timingSafeEqual } from 'node:crypto';
import type { ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';

const digest = (secret: string) => createHash('sha256').update(secret, 'utf8').digest();

/**
 * A configured secret (API key, admin or forwarder token) that presented values are compared with in constant
 * time. Both sides are hashed first, so neither the content nor the length of the secret leaks
 * through timing; the configured side is hashed once.
 */
export class Secret {
  private readonly expected: Buffer | undefined;

  constructor(secret: string | undefined) {
    this.expected = secret === undefined ? undefined : digest(secret);
  }

  get configured(): boolean {
    return this.expected !== undefined;
  }

  matches(presented: string | undefined): boolean {
    if (presented === undefined || this.expected === undefined) return false;
    return timingSafeEqual(digest(presented), this.expected);
  }
}

/** The token of an `Authorization: Bearer <token>` header, if that is what the header holds. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];
}

/**
 * True when the HTTP request of `context` carries `Authorization: Bearer <secret>`; otherwise
 * false, with `WWW-Authenticate: Bearer realm="<realm>"` set on the response (the guard then
 * throws its 401).
 */
export function presentsBearer(context: ExecutionContext, secret: Secret, realm: string): boolean {
  const http = context.switchToHttp();
  if (secret.matches(bearerToken(http.getRequest<Request>().header('authorization')))) return true;
  http.getResponse<Response>().setHeader('WWW-Authenticate', `Bearer realm="${realm}"`);
  return false;
}
