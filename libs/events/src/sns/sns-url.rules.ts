/**
 * Host rule for SNS URLs: exactly `sns.<region>.amazonaws.com` or `sns.<region>.amazonaws.com.cn`.
 * Anchored at both ends, so look-alikes (`sns.us-east-1.amazonaws.com.evil.com`,
 * `evil-sns.us-east-1.amazonaws.com`, a trailing dot) do not match.
 */
export const SNS_HOST_PATTERN = /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

/** Raw-text guard applied before URL parsing: no whitespace, backslashes or userinfo tricks. */
const RAW_HTTPS = /^https:\/\/[^\s\\@]+$/;

function parseHttpsSnsUrl(raw: string): URL | undefined {
  if (typeof raw !== 'string' || raw.length > 2048 || !RAW_HTTPS.test(raw)) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '' || url.port !== '')
    return undefined;
  return SNS_HOST_PATTERN.test(url.hostname) ? url : undefined;
}

/**
 * The normalized certificate URL to fetch when `SigningCertURL` is https on the SNS host, ends in
 * `.pem` and has no query or fragment; undefined otherwise (`untrusted_cert_url`).
 */
export function trustedSigningCertUrl(raw: string): string | undefined {
  const url = parseHttpsSnsUrl(raw);
  if (!url || !url.pathname.endsWith('.pem') || url.search !== '' || url.hash !== '') return undefined;
  return url.href;
}

/** True when a `SubscribeURL` is https on the SNS host (`untrusted_subscribe_url` otherwise). */
export function isTrustedSubscribeUrl(raw: string): boolean {
  const url = parseHttpsSnsUrl(raw);
  return url !== undefined && url.hash === '';
}
