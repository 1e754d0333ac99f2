import { type KeyObject, X509Certificate, verify as verifySignature } from 'node:crypto';
import { type Clock, systemClock } from '../clock.model';
import { EventsError, EventsErrorCode } from '../events.error';
import { type SnsMessage } from '../model/sns.model';
import { type ParseResult, accepted, rejected } from '../result.model';
import { LruCache } from './lru.cache';
import { isTrustedSubscribeUrl, trustedSigningCertUrl } from './sns-url.rules';
import { snsStringToSign } from './sns-string-to-sign.util';

/**
 * Fetches a signing certificate (PEM text) over HTTPS. The apps provide one with a timeout and a
 * size limit; it is only ever called with URLs that passed the SNS host rule.
 */
export type CertificateFetcher = (url: string) => Promise<string>;

export interface SnsVerifierOptions {
  /** `sns.topicArns`: the only topics whose messages are accepted. */
  readonly topicArns: Iterable<string>;
  /** Port used for certificates not found in the cache or in `trustedCertificates`. */
  readonly fetchCertificate: CertificateFetcher;
  /**
   * `sns.trustedCertificates` for tests and local runs: certificate URL → PEM text (the app reads
   * the configured files). Only these exact URLs bypass the host rule; it never widens it for others.
   */
  readonly trustedCertificates?: Readonly<Record<string, string>> | ReadonlyMap<string, string>;
  /** `sns.maxMessageAgeSeconds`: refuse messages whose Timestamp is older. 0 or absent = off. */
  readonly maxMessageAgeSeconds?: number;
  readonly clock?: Clock;
  /** Fetched certificates kept (LRU). Default 100. */
  readonly certificateCacheSize?: number;
}

interface SigningKey {
  readonly key: KeyObject;
  readonly validFrom: number;
  readonly validTo: number;
}

/** AWS signs with SHA1withRSA for version 1 and SHA256withRSA for version 2. */
const ALGORITHMS: ReadonlyMap<string, string> = new Map([
  ['1', 'sha1'],
  ['2', 'sha256'],
]);

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const MAX_PEM_CHARS = 64 * 1024;

/**
 * Verifies SNS HTTP(S) messages before anything acts on them (docs/architecture.md#sns-over-https). Checks, cheapest first
 * and all before any network access: signature version, topic allowlist, message age, SubscribeURL
 * host (confirmations), SigningCertURL host; then the certificate (cache, trusted map or fetch),
 * its validity period, and the RSA signature over the documented string-to-sign.
 */
export class SnsVerifier {
  private readonly topics: ReadonlySet<string>;
  private readonly trusted = new Map<string, SigningKey>();
  private readonly cache: LruCache<string, SigningKey>;
  private readonly inFlight = new Map<string, Promise<SigningKey>>();
  private readonly clock: Clock;
  private readonly maxAgeMs: number;

  constructor(private readonly options: SnsVerifierOptions) {
    this.topics = new Set(options.topicArns);
    this.clock = options.clock ?? systemClock;
    const maxAge = options.maxMessageAgeSeconds ?? 0;
    if (!Number.isFinite(maxAge) || maxAge < 0) {
      throw new EventsError(
        EventsErrorCode.INVALID_SNS_CONFIG,
        'sns.maxMessageAgeSeconds must be a number >= 0',
      );
    }
    this.maxAgeMs = maxAge * 1000;
    const cacheSize = options.certificateCacheSize ?? 100;
    if (!Number.isInteger(cacheSize) || cacheSize < 1) {
      throw new EventsError(
        EventsErrorCode.INVALID_SNS_CONFIG,
        'certificateCacheSize must be a positive integer',
      );
    }
    this.cache = new LruCache(cacheSize);
    const trusted = options.trustedCertificates;
    const entries =
      trusted === undefined ? [] : trusted instanceof Map ? [...trusted] : Object.entries(trusted);
    for (const [url, pem] of entries as [string, string][]) {
      const key = toSigningKey(pem);
      if (key === undefined) {
        throw new EventsError(
          EventsErrorCode.INVALID_SNS_CONFIG,
          `sns.trustedCertificates[${url}] is not an RSA certificate in PEM`,
        );
      }
      this.trusted.set(url, key);
    }
  }

  /** Resolves to the same message when it may be acted on, or to a reason-coded rejection. Never rejects. */
  async verify(message: SnsMessage): Promise<ParseResult<SnsMessage>> {
    const eventId = message.MessageId;
    const algorithm = ALGORITHMS.get(message.SignatureVersion);
    if (algorithm === undefined) {
      return rejected('unsupported_signature_version', 'SignatureVersion must be 1 or 2', eventId);
    }
    if (!this.topics.has(message.TopicArn))
      return rejected('untrusted_topic', 'TopicArn is not in sns.topicArns', eventId);
    const now = this.clock.now();
    if (this.maxAgeMs > 0) {
      const sent = Date.parse(message.Timestamp);
      if (!Number.isFinite(sent) || now - sent > this.maxAgeMs) {
        return rejected('message_too_old', 'Timestamp is older than sns.maxMessageAgeSeconds', eventId);
      }
    }
    if (message.Type !== 'Notification' && !isTrustedSubscribeUrl(message.SubscribeURL)) {
      return rejected('untrusted_subscribe_url', 'SubscribeURL is not https on an SNS host', eventId);
    }
    let signingKey = this.trusted.get(message.SigningCertURL);
    let certUrl: string | undefined;
    if (signingKey === undefined) {
      certUrl = trustedSigningCertUrl(message.SigningCertURL);
      if (certUrl === undefined) {
        return rejected(
          'untrusted_cert_url',
          'SigningCertURL is not an https .pem URL on an SNS host',
          eventId,
        );
      }
    }
    if (message.Signature.length > 2048 || !BASE64.test(message.Signature)) {
      return rejected('invalid_signature', 'Signature is not base64', eventId);
    }
    if (signingKey === undefined && certUrl !== undefined) {
      const loaded = await this.load(certUrl);
      if (loaded === 'unavailable')
        return rejected('certificate_unavailable', 'signing certificate could not be fetched', eventId);
      if (loaded === 'invalid')
        return rejected(
          'invalid_certificate',
          'signing certificate is not an RSA certificate in PEM',
          eventId,
        );
      signingKey = loaded;
    }
    if (signingKey === undefined) return rejected('invalid_certificate', 'no signing certificate', eventId);
    if (now < signingKey.validFrom || now > signingKey.validTo) {
      return rejected('invalid_certificate', 'signing certificate is outside its validity period', eventId);
    }
    let valid = false;
    try {
      valid = verifySignature(
        algorithm,
        Buffer.from(snsStringToSign(message), 'utf8'),
        signingKey.key,
        Buffer.from(message.Signature, 'base64'),
      );
    } catch {
      valid = false;
    }
    return valid ? accepted(message) : rejected('invalid_signature', 'signature does not verify', eventId);
  }

  private async load(url: string): Promise<SigningKey | 'unavailable' | 'invalid'> {
    const cached = this.cache.get(url);
    if (cached !== undefined) return cached;
    let pending = this.inFlight.get(url);
    if (pending === undefined) {
      pending = this.fetchKey(url);
      this.inFlight.set(url, pending);
      // Concurrent verifications of messages signed with a new certificate share one fetch.
      void pending.then(
        (key) => {
          this.cache.set(url, key);
          this.inFlight.delete(url);
        },
        () => this.inFlight.delete(url),
      );
    }
    try {
      return await pending;
    } catch (error) {
      return error instanceof InvalidCertificate ? 'invalid' : 'unavailable';
    }
  }

  private async fetchKey(url: string): Promise<SigningKey> {
    const pem = await this.options.fetchCertificate(url);
    const key = typeof pem === 'string' ? toSigningKey(pem) : undefined;
    if (key === undefined) throw new InvalidCertificate();
    return key;
  }
}

class InvalidCertificate extends Error {}

function toSigningKey(pem: string): SigningKey | undefined {
  if (typeof pem !== 'string' || pem.length > MAX_PEM_CHARS) return undefined;
  try {
    const cert = new X509Certificate(pem);
    if (cert.publicKey.asymmetricKeyType !== 'rsa') return undefined;
    const validFrom = Date.parse(cert.validFrom);
    const validTo = Date.parse(cert.validTo);
    if (!Number.isFinite(validFrom) || !Number.isFinite(validTo)) return undefined;
    return { key: cert.publicKey, validFrom, validTo };
  } catch {
    return undefined;
  }
}
