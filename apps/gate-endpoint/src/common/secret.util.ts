import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (secret: string) => createHash('sha256').update(secret, 'utf8').digest();

/**
 * A configured secret (API key, admin token) that presented values are compared with in constant
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
