import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SnsMessage, type SnsVerifier } from '@event-cache/events';
import { type AppConfig, ConfigError, loadConfig } from '@event-cache/platform';
import { CERT_URL, FIXTURES, signedSns, TEST_CERT_PATH, TOPIC } from '../../test/support';
import { snsVerifierProvider } from './sns-verifier.provider';

function configWith(sns: string): AppConfig {
  const file = join(mkdtempSync(join(tmpdir(), 'sns-verifier-')), 'config.yaml');
  writeFileSync(file, `sns:\n${sns}`);
  return loadConfig('gate-endpoint', { EVENT_CACHE_CONFIG: file });
}

const build = (config: AppConfig) =>
  (snsVerifierProvider as { useFactory: (c: AppConfig) => SnsVerifier }).useFactory(config);

const signed = (SignatureVersion: '1' | '2', fields: Record<string, string> = {}) =>
  signedSns({ SignatureVersion, ...fields }) as unknown as SnsMessage;

describe('the SNS verifier built from sns.*', () => {
  const trusted = `  topicArns: [${TOPIC}]\n  trustedCertificates: { "${CERT_URL}": "${TEST_CERT_PATH}" }\n`;

  it('accepts SignatureVersion 1 by default, and refuses it with sns.allowSignatureVersion1: false', async () => {
    await expect(build(configWith(trusted)).verify(signed('1'))).resolves.toMatchObject({ ok: true });
    const strict = build(configWith(`${trusted}  allowSignatureVersion1: false\n`));
    await expect(strict.verify(signed('1'))).resolves.toMatchObject({
      reason: 'unsupported_signature_version',
    });
    await expect(strict.verify(signed('2'))).resolves.toMatchObject({ ok: true });
  });

  it('refuses replays older than an hour unless told otherwise', async () => {
    const old = signed('2', { Timestamp: new Date(Date.now() - 2 * 3_600_000).toISOString() });
    await expect(build(configWith(trusted)).verify(old)).resolves.toMatchObject({
      reason: 'message_too_old',
    });
  });

  it("stops the service when a pinned issuer is not issued by one of Node's root certificates", () => {
    const intermediate = join(FIXTURES, 'sns', 'test-intermediate-ca.cert.pem');
    const config = configWith(`${trusted}  signingCertificateIssuers: ["${intermediate}"]\n`);
    expect(() => build(config)).toThrow(ConfigError);
    expect(() => build(config)).toThrow(
      /sns\.signingCertificateIssuers\[0\] \(.*Event Cache Test RSA 2048 M01.*\) is not issued by a trusted root/,
    );
  });

  it('names the field of a file it cannot read', () => {
    const config = configWith(`${trusted}  signingCertificateIssuers: [/nonexistent/ca.pem]\n`);
    expect(() => build(config)).toThrow(
      /sns\.signingCertificateIssuers\[0\]: cannot read the file \(ENOENT\)/,
    );
  });
});
