import { type KeyObject, X509Certificate } from 'node:crypto';

/** A certificate's public key, usable for verifying SNS signatures within its validity period. */
export interface SigningKey {
  readonly key: KeyObject;
  readonly validFrom: number;
  readonly validTo: number;
}

/** What a fetched signing certificate must be, besides a parseable RSA certificate. */
export interface SigningCertificatePolicy {
  /** It must be issued to one of these names (subject alternative name, else common name). */
  readonly names: readonly string[];
  /** When non-empty: it must be issued (name and signature) by one of these CA certificates. */
  readonly issuers: readonly X509Certificate[];
}

/** Why a certificate cannot be used: the message of an `invalid_certificate` rejection. */
export class CertificateProblem extends Error {}

const MAX_PEM_CHARS = 64 * 1024;
/** SNS signs with 2048-bit RSA keys; anything shorter is not SNS's. */
const MIN_RSA_BITS = 2048;

/** Parses one PEM certificate; undefined when it is not one. */
export function parseCertificate(pem: unknown): X509Certificate | undefined {
  if (typeof pem !== 'string' || pem.length > MAX_PEM_CHARS) return undefined;
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

/**
 * The signing key of a certificate. With a policy (certificates fetched from a `SigningCertURL`),
 * the certificate must also be an end-entity certificate with an RSA key of at least 2048 bits,
 * issued to an SNS signing name and, when issuers are pinned, issued by one of them. Without one
 * (`trustedCertificates`, chosen by the operator) only the RSA key is required.
 * Throws a `CertificateProblem` naming what is wrong.
 */
export function signingKeyOf(pem: unknown, policy?: SigningCertificatePolicy): SigningKey {
  const cert = parseCertificate(pem);
  if (cert === undefined) throw new CertificateProblem('signing certificate is not a certificate in PEM');
  if (cert.publicKey.asymmetricKeyType !== 'rsa')
    throw new CertificateProblem('signing certificate does not hold an RSA key');
  const validFrom = Date.parse(cert.validFrom);
  const validTo = Date.parse(cert.validTo);
  if (!Number.isFinite(validFrom) || !Number.isFinite(validTo))
    throw new CertificateProblem('signing certificate has an unreadable validity period');
  const issuer = policy === undefined ? undefined : checkPolicy(cert, policy);
  if (issuer === undefined) return { key: cert.publicKey, validFrom, validTo };
  // A pinned issuer vouches for the key only while it is itself valid.
  return {
    key: cert.publicKey,
    validFrom: Math.max(validFrom, Date.parse(issuer.validFrom)),
    validTo: Math.min(validTo, Date.parse(issuer.validTo)),
  };
}

/** Throws when the certificate breaks the policy; returns the pinned issuer that issued it, if any. */
function checkPolicy(cert: X509Certificate, policy: SigningCertificatePolicy): X509Certificate | undefined {
  if (cert.ca) throw new CertificateProblem('signing certificate is a CA certificate');
  const bits = cert.publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS)
    throw new CertificateProblem(`signing certificate key has ${bits} bits, fewer than ${MIN_RSA_BITS}`);
  // Exact names only (no wildcards), the subject CN only when there are no DNS alternative names:
  // what a TLS hostname check (RFC 6125) and the AWS SDKs' validators accept.
  const named = policy.names.some(
    (name) => cert.checkHost(name, { wildcards: false, partialWildcards: false }) !== undefined,
  );
  if (!named)
    throw new CertificateProblem(
      `signing certificate is not issued to SNS (expected ${policy.names.join(' or ')})`,
    );
  if (policy.issuers.length === 0) return undefined;
  const issuer = policy.issuers.find((candidate) => isIssuedBy(cert, candidate));
  if (issuer === undefined)
    throw new CertificateProblem(
      'signing certificate is not issued by a CA in sns.signingCertificateIssuers',
    );
  return issuer;
}

/** True when `issuer` is a CA certificate whose name and key issued `cert`. */
export function isIssuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return issuer.ca && cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}
