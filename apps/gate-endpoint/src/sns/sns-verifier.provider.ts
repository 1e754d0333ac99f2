import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { Provider } from '@nestjs/common';
import { EventsError, SnsVerifier } from '@event-cache/events';
import { APP_CONFIG, type AppConfig, ConfigError } from '@event-cache/platform';
import { fetchText } from './https-text.fetcher';

export const SNS_VERIFIER = Symbol('SNS_VERIFIER');

const CERTIFICATE_FETCH = { timeoutMs: 5_000, maxBytes: 64 * 1024 };

/**
 * The SNS verifier from `sns.*`: the topic allowlist, certificates fetched over HTTPS (timeout,
 * size limit, cached by the verifier; the TLS connection is checked against Node's root
 * certificates), pinned issuers (`sns.signingCertificateIssuers`, each issued by one of Node's
 * roots) and, for tests and local runs, `sns.trustedCertificates` (certificate URL -> PEM file).
 * Files are read once at start-up; a bad one stops the service naming the field.
 */
export const snsVerifierProvider: Provider = {
  provide: SNS_VERIFIER,
  inject: [APP_CONFIG],
  useFactory: ({ sns }: AppConfig): SnsVerifier => {
    const trusted: Record<string, string> = {};
    for (const [url, path] of Object.entries(sns.trustedCertificates)) {
      trusted[url] = readPem(path, `sns.trustedCertificates: cannot read the file for ${url}`);
    }
    const issuers = sns.signingCertificateIssuers.map((path, i) =>
      readPem(path, `sns.signingCertificateIssuers[${i}]: cannot read the file`),
    );
    try {
      return new SnsVerifier({
        topicArns: sns.topicArns,
        fetchCertificate: (url) => fetchText(url, CERTIFICATE_FETCH),
        trustedCertificates: trusted,
        maxMessageAgeSeconds: sns.maxMessageAgeSeconds,
        allowSignatureVersion1: sns.allowSignatureVersion1,
        signingCertificateIssuers: issuers,
        trustAnchors: rootCertificates,
      });
    } catch (e) {
      if (e instanceof EventsError) throw new ConfigError([e.message]);
      throw e;
    }
  },
};

function readPem(path: string, problem: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError([`${problem} (${(e as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
}
