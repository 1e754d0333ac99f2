import { readFileSync } from 'node:fs';
import type { Provider } from '@nestjs/common';
import { EventsError, SnsVerifier } from '@event-cache/events';
import { APP_CONFIG, type AppConfig, ConfigError } from '@event-cache/platform';
import { fetchText } from './https-text.fetcher';

export const SNS_VERIFIER = Symbol('SNS_VERIFIER');

const CERTIFICATE_FETCH = { timeoutMs: 5_000, maxBytes: 64 * 1024 };

/**
 * The SNS verifier from `sns.*`: the topic allowlist, certificates fetched over HTTPS (timeout,
 * size limit, cached by the verifier) and, for tests and local runs, `sns.trustedCertificates`
 * (certificate URL -> PEM file) read once at start-up. A bad file stops the service naming the field.
 */
export const snsVerifierProvider: Provider = {
  provide: SNS_VERIFIER,
  inject: [APP_CONFIG],
  useFactory: ({ sns }: AppConfig): SnsVerifier => {
    const trusted: Record<string, string> = {};
    for (const [url, path] of Object.entries(sns.trustedCertificates)) {
      try {
        trusted[url] = readFileSync(path, 'utf8');
      } catch (e) {
        throw new ConfigError([
          `sns.trustedCertificates: cannot read the file for ${url} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
        ]);
      }
    }
    try {
      return new SnsVerifier({
        topicArns: sns.topicArns,
        fetchCertificate: (url) => fetchText(url, CERTIFICATE_FETCH),
        trustedCertificates: trusted,
        maxMessageAgeSeconds: sns.maxMessageAgeSeconds,
      });
    } catch (e) {
      if (e instanceof EventsError) throw new ConfigError([`sns.trustedCertificates: ${e.message}`]);
      throw e;
    }
  },
};
