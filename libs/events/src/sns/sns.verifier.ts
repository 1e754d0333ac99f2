import { verify as verifySignature, type X509Certificate } from 'node:crypto';
import { type Clock, systemClock } from '../clock.model';
import { EventsError, EventsErrorCode } from '../events.error';
import { type SnsMessage } from '../model/sns.model';
import { type ParseResult, accepted, rejected } from '../result.model';
import { LruCache } from './lru.cache';
import {
  CertificateProblem,
  isIssuedBy,
  parseCertificate,
  type SigningCertificatePolicy,
  type SigningKey,
  signingKeyOf,
} from './sns-certificate.rules';
import {
  isTrustedSubscribeUrl,
  snsEndpointRegion,
  snsSigningCertificateNames,
  trustedSigningCertUrl,
} from './sns-url.rules';
import { snsStringToSign } from './sns-string-to-sign.util';

/**
 * Fetches a signing certificate (PEM text) over HTTPS. The apps provide one with a timeout and a
 * size limit; it is only ever called with URLs that passed the SNS host rule. Its TLS connection is
 * verified against the platform's root certificates: that is what authenticates the certificate's
 * origin, as in the AWS SDKs' validators.
 */
export type CertificateFetcher = (url: string) => Promise<string>;

export interface SnsVerifierOptions {
  /** `sns.topicArns`: the only topics whose messages are accepted. */
  readonly topicArns: Iterable<string>;
  /** Port used for certificates not found in the cache or in `trustedCertificates`. */
  readonly fetchCertificate: CertificateFetcher;
  /**
   * `sns.trustedCertificates` for tests and local runs: certificate URL → PEM text (the app reads
   * the configured files). Only these exact URLs bypass the host rule and the certificate checks;
   * it never widens them for others.
   */
  readonly trustedCertificates?: Readonly<Record<string, string>> | ReadonlyMap<string, string>;
  /**
   * `sns.maxMessageAgeSeconds`: refuse messages whose Timestamp is older (replays). Default 3600:
   * SNS retries an HTTPS delivery for at most an hour. 0 = off.
   */
  readonly maxMessageAgeSeconds?: number;
  /**
   * `sns.allowSignatureVersion1`: accept SHA1withRSA signatures (topics sign with version 1 until
   * their `SignatureVersion` attribute is set to 2). Default true; false refuses them.
   */
  readonly allowSignatureVersion1?: boolean;
  /**
   * `sns.signingCertificateIssuers`: CA certificates (PEM) pinned as the only issuers of signing
   * certificates, e.g. Amazon's intermediates. Empty or absent: any issuer (the HTTPS fetch from
   * the SNS endpoint vouches for the certificate).
   */
  readonly signingCertificateIssuers?: readonly string[];
  /**
   * Root certificates (PEM) every pinned issuer must be, or be issued by (the app passes Node's
   * `tls.rootCertificates`), so a pinned chain ends at a public root. Absent: not checked.
   */
  readonly trustAnchors?: readonly string[];
  readonly clock?: Clock;
  /** Fetched certificates kept (LRU). Default 100. */
  readonly certificateCacheSize?: number;
}

/** AWS signs with SHA1withRSA for version 1 and SHA256withRSA for version 2. */
const ALGORITHMS: ReadonlyMap<string, string> = new Map([
  ['1', 'sha1'],
  ['2', 'sha256'],
]);

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const DEFAULT_MAX_AGE_SECONDS = 3_600;

/**
 * Verifies SNS HTTP(S) messages before anything acts on them (docs/architecture.md#sns-over-https). Checks, cheapest first
 * and all before any network access: signature version, topic allowlist, message age, SubscribeURL
 * (confirmations) and SigningCertURL on the SNS endpoint of the topic's region; then the
 * certificate (cache, trusted map or fetch): issued to SNS, by a pinned issuer when configured,
 * within its validity period; and the RSA signature over the documented string-to-sign.
 */
export class SnsVerifier {
  private readonly topics: ReadonlySet<string>;
  private readonly trusted = new Map<string, SigningKey>();
  private readonly cache: LruCache<string, SigningKey>;
  private readonly inFlight = new Map<string, Promise<SigningKey>>();
  private readonly clock: Clock;
  private readonly maxAgeMs: number;
  private readonly algorithms: ReadonlyMap<string, string>;
  private readonly issuers: readonly X509Certificate[];

  constructor(private readonly options: SnsVerifierOptions) {
    this.topics = new Set(options.topicArns);
    this.clock = options.clock ?? systemClock;
    const maxAge = options.maxMessageAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS;
    if (!Number.isFinite(maxAge) || maxAge < 0) {
      throw configError('sns.maxMessageAgeSeconds must be a number >= 0');
    }
    this.maxAgeMs = maxAge * 1000;
    this.algorithms = options.allowSignatureVersion1 === false ? new Map([['2', 'sha256']]) : ALGORITHMS;
    const cacheSize = options.certificateCacheSize ?? 100;
    if (!Number.isInteger(cacheSize) || cacheSize < 1) {
      throw configError('certificateCacheSize must be a positive integer');
    }
    this.cache = new LruCache(cacheSize);
    this.issuers = pinnedIssuers(options.signingCertificateIssuers ?? [], options.trustAnchors);
    const trusted = options.trustedCertificates;
    const entries =
      trusted === undefined ? [] : trusted instanceof Map ? [...trusted] : Object.entries(trusted);
    for (const [url, pem] of entries as [string, string][]) {
      try {
        this.trusted.set(url, signingKeyOf(pem));
      } catch (e) {
        throw configError(`sns.trustedCertificates[${url}]: ${(e as Error).message}`);
      }
    }
  }

  /** Resolves to the same message when it may be acted on, or to a reason-coded rejection. Never rejects. */
  async verify(message: SnsMessage): Promise<ParseResult<SnsMessage>> {
    const eventId = message.MessageId;
    const algorithm = this.algorithms.get(message.SignatureVersion);
    if (algorithm === undefined) {
      const versions = [...this.algorithms.keys()].join(' or ');
      return rejected('unsupported_signature_version', `SignatureVersion must be ${versions}`, eventId);
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
    if (message.Type !== 'Notification' && !isTrustedSubscribeUrl(message.SubscribeURL, message.TopicArn)) {
      return rejected(
        'untrusted_subscribe_url',
        "SubscribeURL is not https on the SNS endpoint of the topic's region",
        eventId,
      );
    }
    let signingKey = this.trusted.get(message.SigningCertURL);
    let certUrl: string | undefined;
    if (signingKey === undefined) {
      certUrl = trustedSigningCertUrl(message.SigningCertURL, message.TopicArn);
      if (certUrl === undefined) {
        return rejected(
          'untrusted_cert_url',
          "SigningCertURL is not an https .pem URL on the SNS endpoint of the topic's region",
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
      if (loaded instanceof CertificateProblem)
        return rejected('invalid_certificate', loaded.message, eventId);
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

  private async load(url: string): Promise<SigningKey | CertificateProblem | 'unavailable'> {
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
      return error instanceof CertificateProblem ? error : 'unavailable';
    }
  }

  private async fetchKey(url: string): Promise<SigningKey> {
    const pem = await this.options.fetchCertificate(url);
    return signingKeyOf(pem, this.policyFor(url));
  }

  /** The names and issuers a certificate fetched from `url` (an SNS endpoint) must have. */
  private policyFor(url: string): SigningCertificatePolicy {
    const region = snsEndpointRegion(new URL(url).hostname) ?? '';
    return { names: snsSigningCertificateNames(region), issuers: this.issuers };
  }
}

function configError(message: string): EventsError {
  return new EventsError(EventsErrorCode.INVALID_SNS_CONFIG, message);
}

/**
 * The pinned issuers, each a CA certificate; with trust anchors, each must be one of them or be
 * issued by one, so a pinned chain ends at a root the platform trusts.
 */
function pinnedIssuers(
  pems: readonly string[],
  anchorPems: readonly string[] | undefined,
): X509Certificate[] {
  const anchors = anchorPems?.map(parseCertificate).filter((c) => c !== undefined);
  return pems.map((pem, i) => {
    const issuer = parseCertificate(pem);
    const field = `sns.signingCertificateIssuers[${i}]`;
    if (issuer === undefined) throw configError(`${field} is not a certificate in PEM`);
    if (!issuer.ca) throw configError(`${field} is not a CA certificate`);
    if (
      anchors !== undefined &&
      !anchors.some((root) => root.fingerprint256 === issuer.fingerprint256 || isIssuedBy(issuer, root))
    ) {
      throw configError(`${field} (${issuer.subject.replace(/\n/g, ', ')}) is not issued by a trusted root`);
    }
    return issuer;
  });
}
