/**
 * Host rule for SNS URLs: an SNS regional endpoint, `sns.<region>.amazonaws.com` (partitions `aws`
 * and `aws-us-gov`) or `sns.<region>.amazonaws.com.cn` (`aws-cn`), where `<region>` is shaped like
 * an AWS region (`us-east-1`, `us-gov-west-1`, `eusc-de-east-1`, `cn-north-1`). Anchored at both
 * ends, so look-alikes (`sns.us-east-1.amazonaws.com.evil.com`, `evil-sns.us-east-1.amazonaws.com`,
 * a trailing dot) do not match, and neither do S3 virtual-hosted URLs of a bucket named `sns`
 * (`sns.s3.amazonaws.com`, `sns.s3-us-west-2.amazonaws.com`, `sns.s3-accelerate.amazonaws.com`,
 * `sns.s3-external-1.amazonaws.com`): an S3 label is not a region. Use `snsEndpointRegion` for the
 * partition check (`cn-*` regions only on `.amazonaws.com.cn`, every other region only on `.com`).
 */
export const SNS_HOST_PATTERN = /^sns\.([a-z]{2,4}(?:-[a-z]+)+-\d{1,2})\.amazonaws\.com(\.cn)?$/;

/** A topic ARN's partition and region: `arn:<partition>:sns:<region>:<account>:<name>`. */
const TOPIC_ARN = /^arn:(aws|aws-cn|aws-us-gov):sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_.-]+$/;

/**
 * The region of an SNS regional endpoint host, when the host is one (partition-aware: a China
 * region only under `.amazonaws.com.cn`, any other only under `.amazonaws.com`); else undefined.
 */
export function snsEndpointRegion(host: string): string | undefined {
  const match = SNS_HOST_PATTERN.exec(host);
  if (!match) return undefined;
  const region = match[1];
  const china = match[2] !== undefined;
  return region.startsWith('cn-') === china ? region : undefined;
}

/** The SNS endpoint host that serves a topic's messages, or undefined for a malformed ARN. */
export function snsEndpointOfTopic(topicArn: string): string | undefined {
  const match = TOPIC_ARN.exec(topicArn);
  if (!match) return undefined;
  const [, partition, region] = match;
  const host = `sns.${region}.amazonaws.com${partition === 'aws-cn' ? '.cn' : ''}`;
  const expectedPartition = region.startsWith('cn-')
    ? 'aws-cn'
    : region.startsWith('us-gov-')
      ? 'aws-us-gov'
      : 'aws';
  return partition === expectedPartition && snsEndpointRegion(host) === region ? host : undefined;
}

/**
 * The names an SNS signing certificate for a region's endpoint may carry (subject alternative
 * name, or common name when it has none), as the AWS SDK for Java v2's `SnsHostProvider` expects
 * them: `sns.amazonaws.com` in most commercial regions, `sns-signing.<region>.amazonaws.com` in
 * opt-in regions, `sns-<region>.amazonaws.com.cn` in China, `sns-us-gov-west-1.amazonaws.com` in
 * both GovCloud regions. Each partition's general name and the endpoint's own host are accepted
 * too, so a region AWS adds later still verifies. Every name is one only AWS can get a certificate for.
 */
export function snsSigningCertificateNames(region: string): string[] {
  const endpoint = region.startsWith('cn-')
    ? `sns.${region}.amazonaws.com.cn`
    : `sns.${region}.amazonaws.com`;
  if (region.startsWith('cn-')) return [`sns-${region}.amazonaws.com.cn`, 'sns.amazonaws.com.cn', endpoint];
  if (region.startsWith('us-gov-'))
    return ['sns-us-gov-west-1.amazonaws.com', `sns-${region}.amazonaws.com`, 'sns.amazonaws.com', endpoint];
  return ['sns.amazonaws.com', `sns-signing.${region}.amazonaws.com`, endpoint];
}

/** Raw-text guard applied before URL parsing: no whitespace, backslashes or userinfo tricks. */
const RAW_HTTPS = /^https:\/\/[^\s\\@]+$/;

function parseHttpsSnsUrl(raw: string, topicArn: string | undefined): URL | undefined {
  if (typeof raw !== 'string' || raw.length > 2048 || !RAW_HTTPS.test(raw)) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '' || url.port !== '')
    return undefined;
  if (snsEndpointRegion(url.hostname) === undefined) return undefined;
  // SNS signs and confirms from the endpoint of the topic's own region.
  return topicArn === undefined || url.hostname === snsEndpointOfTopic(topicArn) ? url : undefined;
}

/**
 * The normalized certificate URL to fetch when `SigningCertURL` is https on an SNS regional
 * endpoint (the topic's, when `topicArn` is given), ends in `.pem` and has no query or fragment;
 * undefined otherwise (`untrusted_cert_url`).
 */
export function trustedSigningCertUrl(raw: string, topicArn?: string): string | undefined {
  const url = parseHttpsSnsUrl(raw, topicArn);
  if (!url || !url.pathname.endsWith('.pem') || url.search !== '' || url.hash !== '') return undefined;
  return url.href;
}

/**
 * True when a `SubscribeURL` is https on an SNS regional endpoint (the topic's, when `topicArn` is
 * given); `untrusted_subscribe_url` otherwise.
 */
export function isTrustedSubscribeUrl(raw: string, topicArn?: string): boolean {
  const url = parseHttpsSnsUrl(raw, topicArn);
  return url !== undefined && url.hash === '';
}
