import { generateKeyPairSync } from 'node:crypto';
import {
  TEST_CERT_URL,
  TEST_TOPIC_ARN,
  fixtureText,
  signedSnsMessage,
  testCertificatePem,
  type SnsFields,
} from '../__fixtures__/event.fixtures';
import { type Clock } from '../clock.model';
import { EventsError } from '../events.error';
import { type SnsMessage } from '../model/sns.model';
import { parseSnsHttpBody } from '../parse/ingest.parser';
import { SnsVerifier, type SnsVerifierOptions } from './sns.verifier';
import { snsStringToSign } from './sns-string-to-sign.util';

const NOW = Date.parse('2024-05-01T12:00:30.000Z');
const clock: Clock = { now: () => NOW };

function message(fields: SnsFields = {}, key?: string): SnsMessage {
  const parsed = parseSnsHttpBody(JSON.stringify(signedSnsMessage(fields, key)));
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}

const CHINA_TOPIC_ARN = 'arn:aws-cn:sns:cn-north-1:123456789012:event-cache';
const GOV_TOPIC_ARN = 'arn:aws-us-gov:sns:us-gov-west-1:123456789012:event-cache';
const GOV_EAST_TOPIC_ARN = 'arn:aws-us-gov:sns:us-gov-east-1:123456789012:event-cache';
const OPT_IN_TOPIC_ARN = 'arn:aws:sns:ap-east-1:123456789012:event-cache';
const certUrl = (host: string) =>
  `https://${host}/SimpleNotificationService-7506a1e35b36ef5a444dd1a8e7cc3ed8.pem`;

/** A verifier whose certificate fetcher serves the test certificate `certificate` for every URL. */
function setup(overrides: Partial<SnsVerifierOptions> = {}, certificate = 'test-signing') {
  const fetched: string[] = [];
  const fetchCertificate = jest.fn((url: string) => {
    fetched.push(url);
    return Promise.resolve(testCertificatePem(certificate));
  });
  const verifier = new SnsVerifier({
    topicArns: [TEST_TOPIC_ARN, CHINA_TOPIC_ARN, GOV_TOPIC_ARN, GOV_EAST_TOPIC_ARN, OPT_IN_TOPIC_ARN],
    fetchCertificate,
    clock,
    ...overrides,
  });
  return { verifier, fetched, fetchCertificate };
}

describe('SnsVerifier', () => {
  it.each(['1', '2'])('accepts a Notification signed with SignatureVersion %s', async (version) => {
    const { verifier, fetched } = setup();
    const m = message({
      SignatureVersion: version,
      Message: fixtureText('notifications/config-item-change-notification.json'),
    });
    await expect(verifier.verify(m)).resolves.toEqual({ ok: true, value: m });
    expect(fetched).toEqual([TEST_CERT_URL]);
  });

  it.each(['SubscriptionConfirmation', 'UnsubscribeConfirmation'] as const)(
    'accepts a signed %s',
    async (Type) => {
      const { verifier } = setup();
      const m = message({ Type, Message: 'You have chosen to subscribe to the topic' });
      await expect(verifier.verify(m)).resolves.toMatchObject({ ok: true });
    },
  );

  it('signs the Subject only when present', async () => {
    const { verifier } = setup();
    const withSubject = message({ Subject: 'Config change' });
    expect(snsStringToSign(withSubject)).toContain('Subject\nConfig change\n');
    expect(snsStringToSign(message())).not.toContain('Subject');
    await expect(verifier.verify(withSubject)).resolves.toMatchObject({ ok: true });
    // Dropping the Subject changes the signed string: the signature no longer matches.
    const withoutSubject = { ...withSubject };
    delete (withoutSubject as { Subject?: string }).Subject;
    await expect(verifier.verify(withoutSubject)).resolves.toMatchObject({
      reason: 'invalid_signature',
    });
  });

  it('builds the documented string to sign for confirmations', () => {
    const m = message({
      Type: 'SubscriptionConfirmation',
      Message: 'm',
      Token: 't',
      SubscribeURL: 'https://sns.us-east-1.amazonaws.com/?x',
    });
    expect(snsStringToSign(m)).toBe(
      'Message\nm\nMessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\nSubscribeURL\nhttps://sns.us-east-1.amazonaws.com/?x\n' +
        `Timestamp\n2024-05-01T12:00:00.000Z\nToken\nt\nTopicArn\n${TEST_TOPIC_ARN}\nType\nSubscriptionConfirmation\n`,
    );
  });

  describe('rejections', () => {
    it.each(['3', '0', 'v2', ''])(
      'refuses SignatureVersion %p without fetching anything',
      async (version) => {
        const { verifier, fetchCertificate } = setup();
        const m = { ...message(), SignatureVersion: version };
        await expect(verifier.verify(m)).resolves.toMatchObject({
          ok: false,
          reason: 'unsupported_signature_version',
          eventId: m.MessageId,
        });
        expect(fetchCertificate).not.toHaveBeenCalled();
      },
    );

    it.each([
      'http://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem',
      'https://sns.us-east-1.amazonaws.com.evil.com/SimpleNotificationService-x.pem',
      'https://evil-sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem',
      'https://sns.us-east-1.amazonaws.com./SimpleNotificationService-x.pem',
      'https://sqs.us-east-1.amazonaws.com/SimpleNotificationService-x.pem',
      'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.crt',
      'https://sns.us-east-1.amazonaws.com/cert.pem?x=1',
      'https://sns.us-east-1.amazonaws.com:8443/cert.pem',
      'https://user@sns.us-east-1.amazonaws.com/cert.pem',
      'https://evil.com\\@sns.us-east-1.amazonaws.com/cert.pem',
      'https://sns.us-east-1.amazonaws.com%2eevil.com/cert.pem',
      ' https://sns.us-east-1.amazonaws.com/cert.pem',
      'https://sns.us_east_1.amazonaws.com/cert.pem',
      'not a url',
    ])('refuses SigningCertURL %p before any fetch', async (url) => {
      const { verifier, fetchCertificate } = setup();
      await expect(verifier.verify(message({ SigningCertURL: url }))).resolves.toMatchObject({
        reason: 'untrusted_cert_url',
      });
      expect(fetchCertificate).not.toHaveBeenCalled();
    });

    it.each([
      // S3 virtual-hosted URLs of a bucket named "sns": AWS serves anyone's file there over valid TLS.
      'https://sns.s3.amazonaws.com/SimpleNotificationService-x.pem',
      'https://sns.s3-us-west-2.amazonaws.com/SimpleNotificationService-x.pem',
      'https://sns.s3-accelerate.amazonaws.com/SimpleNotificationService-x.pem',
      'https://sns.s3-external-1.amazonaws.com/SimpleNotificationService-x.pem',
      'https://sns.s3.us-east-1.amazonaws.com/SimpleNotificationService-x.pem',
      'https://sns.s3-website-us-east-1.amazonaws.com/SimpleNotificationService-x.pem',
      'https://sns.compute-1.amazonaws.com/SimpleNotificationService-x.pem',
      // Partition mix-ups: a China region only under .com.cn, any other only under .com.
      'https://sns.cn-north-1.amazonaws.com/SimpleNotificationService-x.pem',
      'https://sns.us-east-1.amazonaws.com.cn/SimpleNotificationService-x.pem',
      // Another region than the topic's (us-east-1).
      'https://sns.us-west-2.amazonaws.com/SimpleNotificationService-x.pem',
    ])('refuses SigningCertURL %p, not the SNS endpoint of the topic, before any fetch', async (url) => {
      const { verifier, fetchCertificate } = setup();
      await expect(verifier.verify(message({ SigningCertURL: url }))).resolves.toMatchObject({
        reason: 'untrusted_cert_url',
      });
      expect(fetchCertificate).not.toHaveBeenCalled();
    });

    it.each([
      ['aws-cn', CHINA_TOPIC_ARN, 'sns.cn-north-1.amazonaws.com.cn', 'test-signing-cn'],
      ['aws-us-gov', GOV_TOPIC_ARN, 'sns.us-gov-west-1.amazonaws.com', 'test-signing-gov'],
      [
        'aws-us-gov (east, signed as west)',
        GOV_EAST_TOPIC_ARN,
        'sns.us-gov-east-1.amazonaws.com',
        'test-signing-gov',
      ],
      ['aws, an opt-in region', OPT_IN_TOPIC_ARN, 'sns.ap-east-1.amazonaws.com', 'test-signing-optin'],
      [
        'aws, an opt-in region with the general name',
        OPT_IN_TOPIC_ARN,
        'sns.ap-east-1.amazonaws.com',
        'test-signing',
      ],
    ])('accepts the %s endpoint and its SNS certificate', async (_, TopicArn, host, certificate) => {
      const { verifier, fetched } = setup({}, certificate);
      const m = message({ TopicArn, SigningCertURL: certUrl(host) });
      await expect(verifier.verify(m)).resolves.toMatchObject({ ok: true });
      expect(fetched).toEqual([certUrl(host)]);
    });

    it('refuses topics outside the allowlist without fetching', async () => {
      const { verifier, fetchCertificate } = setup();
      const m = message({ TopicArn: 'arn:aws:sns:us-east-1:123456789012:someone-else' });
      await expect(verifier.verify(m)).resolves.toMatchObject({ ok: false, reason: 'untrusted_topic' });
      expect(fetchCertificate).not.toHaveBeenCalled();
    });

    it.each([
      'http://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription',
      'https://attacker.example/?Action=ConfirmSubscription',
      'https://sns.us-east-1.amazonaws.com.attacker.example/?Action=ConfirmSubscription',
      'https://sns.s3.amazonaws.com/?Action=ConfirmSubscription',
      'https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription',
    ])('refuses SubscribeURL %p even when the signature is valid', async (SubscribeURL) => {
      const { verifier } = setup();
      const m = message({ Type: 'SubscriptionConfirmation', SubscribeURL });
      await expect(verifier.verify(m)).resolves.toMatchObject({
        ok: false,
        reason: 'untrusted_subscribe_url',
      });
    });

    it('refuses messages older than maxMessageAgeSeconds, and only then', async () => {
      const { verifier } = setup({ maxMessageAgeSeconds: 60 });
      await expect(
        verifier.verify(message({ Timestamp: '2024-05-01T11:59:00.000Z' })),
      ).resolves.toMatchObject({
        ok: false,
        reason: 'message_too_old',
      });
      await expect(
        verifier.verify(message({ Timestamp: '2024-05-01T11:59:45.000Z' })),
      ).resolves.toMatchObject({ ok: true });
      const off = setup({ maxMessageAgeSeconds: 0 }).verifier;
      await expect(off.verify(message({ Timestamp: '2001-01-01T00:00:00.000Z' }))).resolves.toMatchObject({
        ok: true,
      });
    });

    it('refuses a tampered message', async () => {
      const { verifier } = setup();
      const m = message({ Message: '{"a":1}' });
      await expect(verifier.verify({ ...m, Message: '{"a":2}' })).resolves.toMatchObject({
        reason: 'invalid_signature',
      });
      await expect(verifier.verify({ ...m, MessageId: 'other-id' })).resolves.toMatchObject({
        reason: 'invalid_signature',
      });
    });

    it('refuses a message signed by another key', async () => {
      const { verifier } = setup();
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const m = message({}, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
      await expect(verifier.verify(m)).resolves.toMatchObject({ reason: 'invalid_signature' });
    });

    it('refuses a v1 signature presented as v2', async () => {
      const { verifier } = setup();
      const m = message({ SignatureVersion: '1' });
      await expect(verifier.verify({ ...m, SignatureVersion: '2' })).resolves.toMatchObject({
        reason: 'invalid_signature',
      });
    });

    it('refuses a signature that is not base64', async () => {
      const { verifier, fetchCertificate } = setup();
      await expect(verifier.verify({ ...message(), Signature: 'not base64!' })).resolves.toMatchObject({
        reason: 'invalid_signature',
      });
      expect(fetchCertificate).not.toHaveBeenCalled();
    });

    it('refuses a certificate that is not PEM, or not RSA', async () => {
      const garbage = setup({
        fetchCertificate: () => Promise.resolve('<html>not a certificate</html>'),
      }).verifier;
      await expect(garbage.verify(message())).resolves.toMatchObject({ reason: 'invalid_certificate' });
      const notText = setup({ fetchCertificate: () => Promise.resolve(42 as unknown as string) }).verifier;
      await expect(notText.verify(message())).resolves.toMatchObject({ reason: 'invalid_certificate' });
    });

    it('refuses a certificate outside its validity period', async () => {
      const { verifier } = setup({
        clock: { now: () => Date.parse('2130-01-01T00:00:00Z') },
        maxMessageAgeSeconds: 0,
      });
      await expect(verifier.verify(message())).resolves.toMatchObject({ reason: 'invalid_certificate' });
    });

    it('reports a failed fetch as transient and retries it next time', async () => {
      let calls = 0;
      const { verifier } = setup({
        fetchCertificate: () =>
          ++calls === 1 ? Promise.reject(new Error('timeout')) : Promise.resolve(testCertificatePem()),
      });
      await expect(verifier.verify(message())).resolves.toMatchObject({
        ok: false,
        reason: 'certificate_unavailable',
      });
      await expect(verifier.verify(message())).resolves.toMatchObject({ ok: true });
      expect(calls).toBe(2);
    });

    it('survives a fetcher that throws synchronously', async () => {
      const { verifier } = setup({
        fetchCertificate: () => {
          throw new Error('boom');
        },
      });
      await expect(verifier.verify(message())).resolves.toMatchObject({ reason: 'certificate_unavailable' });
    });
  });

  describe('certificates', () => {
    it('fetches each certificate once and serves it from the cache', async () => {
      const { verifier, fetchCertificate } = setup();
      for (let i = 0; i < 5; i++)
        await expect(verifier.verify(message())).resolves.toMatchObject({ ok: true });
      expect(fetchCertificate).toHaveBeenCalledTimes(1);
    });

    it('shares one fetch between concurrent verifications', async () => {
      const { verifier, fetchCertificate } = setup();
      const results = await Promise.all(Array.from({ length: 20 }, () => verifier.verify(message())));
      expect(results.every((r) => r.ok)).toBe(true);
      expect(fetchCertificate).toHaveBeenCalledTimes(1);
    });

    it('keeps at most certificateCacheSize certificates', async () => {
      const { verifier, fetched } = setup({ certificateCacheSize: 2 });
      const url = (n: number) => `https://sns.us-east-1.amazonaws.com/SimpleNotificationService-${n}.pem`;
      for (const n of [1, 2, 1, 3, 1, 2]) await verifier.verify(message({ SigningCertURL: url(n) }));
      // 1 and 2 fetched; 1 hit; 3 evicts 2 (least recent); 1 hit; 2 fetched again.
      expect(fetched).toEqual([url(1), url(2), url(3), url(2)]);
    });

    it('uses trusted certificates without fetching, for exactly those URLs', async () => {
      const local = 'http://localhost:4566/sns-test.pem';
      const { verifier, fetchCertificate } = setup({
        trustedCertificates: { [local]: testCertificatePem() },
      });
      await expect(verifier.verify(message({ SigningCertURL: local }))).resolves.toMatchObject({ ok: true });
      expect(fetchCertificate).not.toHaveBeenCalled();
      // The override does not widen the host rule for any other URL.
      await expect(
        verifier.verify(message({ SigningCertURL: 'http://localhost:4566/other.pem' })),
      ).resolves.toMatchObject({
        reason: 'untrusted_cert_url',
      });
      await expect(verifier.verify(message({ SigningCertURL: `${local}?x` }))).resolves.toMatchObject({
        reason: 'untrusted_cert_url',
      });
    });

    it('accepts trusted certificates as a Map too', async () => {
      const { verifier } = setup({ trustedCertificates: new Map([[TEST_CERT_URL, testCertificatePem()]]) });
      await expect(verifier.verify(message())).resolves.toMatchObject({ ok: true });
    });
  });

  describe('certificate checks', () => {
    it.each([
      ['issued to another name', 'test-wrong-subject', /not issued to SNS \(expected sns\.amazonaws\.com/],
      ['that is a CA certificate', 'test-ca-as-leaf', /is a CA certificate/],
      ['with a 1024-bit key', 'test-weak-key', /1024 bits/],
    ])('refuses a fetched certificate %s, though it holds a key that signed', async (_, certificate, why) => {
      const { verifier } = setup({}, certificate);
      await expect(verifier.verify(message())).resolves.toMatchObject({
        ok: false,
        reason: 'invalid_certificate',
        message: expect.stringMatching(why) as string,
      });
    });

    it("refuses another partition's or region's signing name", async () => {
      // China's name for a us-east-1 topic, the commercial name for a China topic, an opt-in
      // region's name for another region.
      await expect(setup({}, 'test-signing-cn').verifier.verify(message())).resolves.toMatchObject({
        reason: 'invalid_certificate',
      });
      const china = message({
        TopicArn: CHINA_TOPIC_ARN,
        SigningCertURL: certUrl('sns.cn-north-1.amazonaws.com.cn'),
      });
      await expect(setup().verifier.verify(china)).resolves.toMatchObject({ reason: 'invalid_certificate' });
      await expect(setup({}, 'test-signing-optin').verifier.verify(message())).resolves.toMatchObject({
        reason: 'invalid_certificate',
      });
    });

    it('reads the common name when the certificate has no DNS alternative names', async () => {
      const { verifier } = setup({}, 'test-signing-cn-only');
      await expect(verifier.verify(message())).resolves.toMatchObject({ ok: true });
    });

    it('keeps a refused certificate out of the cache and says why again', async () => {
      const { verifier, fetchCertificate } = setup({}, 'test-wrong-subject');
      await verifier.verify(message());
      await expect(verifier.verify(message())).resolves.toMatchObject({ reason: 'invalid_certificate' });
      expect(fetchCertificate).toHaveBeenCalledTimes(2);
    });

    describe('pinned issuers (sns.signingCertificateIssuers)', () => {
      const pinned = {
        signingCertificateIssuers: [testCertificatePem('test-intermediate-ca')],
        trustAnchors: [testCertificatePem('test-root-ca')],
      };

      it('accepts a certificate the pinned CA issued', async () => {
        await expect(setup(pinned).verifier.verify(message())).resolves.toMatchObject({ ok: true });
      });

      it('refuses one with the right name that the pinned CA did not issue', async () => {
        const { verifier } = setup(pinned, 'test-self-signed');
        await expect(verifier.verify(message())).resolves.toMatchObject({
          reason: 'invalid_certificate',
          message: 'signing certificate is not issued by a CA in sns.signingCertificateIssuers',
        });
        // Without pinned issuers the HTTPS fetch from the SNS endpoint is what vouches for it.
        await expect(setup({}, 'test-self-signed').verifier.verify(message())).resolves.toMatchObject({
          ok: true,
        });
      });

      it('pins the issuer, not its root: a root that issued the intermediate issued no leaf', async () => {
        const { verifier } = setup({ signingCertificateIssuers: [testCertificatePem('test-root-ca')] });
        await expect(verifier.verify(message())).resolves.toMatchObject({ reason: 'invalid_certificate' });
      });

      it('never applies to trusted certificates, which the operator chose', async () => {
        const local = 'http://localhost:4566/sns-test.pem';
        const { verifier } = setup({
          ...pinned,
          trustedCertificates: { [local]: testCertificatePem('test-self-signed') },
        });
        await expect(verifier.verify(message({ SigningCertURL: local }))).resolves.toMatchObject({
          ok: true,
        });
      });

      it('fails fast on a pinned issuer that is no CA or that no trusted root issued', () => {
        expect(() => setup({ signingCertificateIssuers: [testCertificatePem()] })).toThrow(
          /sns\.signingCertificateIssuers\[0\] is not a CA certificate/,
        );
        expect(() => setup({ signingCertificateIssuers: ['nope'] })).toThrow(/not a certificate in PEM/);
        expect(() =>
          setup({
            signingCertificateIssuers: [testCertificatePem('test-intermediate-ca')],
            trustAnchors: [testCertificatePem('test-self-signed')],
          }),
        ).toThrow(
          /signingCertificateIssuers\[0\] \(.*Event Cache Test RSA 2048 M01.*\) is not issued by a trusted root/,
        );
      });
    });
  });

  describe('signature version 1 and replays', () => {
    it('accepts SignatureVersion 1 by default and refuses it when sns.allowSignatureVersion1 is false', async () => {
      const v1 = message({ SignatureVersion: '1' });
      await expect(setup().verifier.verify(v1)).resolves.toMatchObject({ ok: true });
      const { verifier, fetchCertificate } = setup({ allowSignatureVersion1: false });
      await expect(verifier.verify(v1)).resolves.toMatchObject({
        reason: 'unsupported_signature_version',
        message: 'SignatureVersion must be 2',
      });
      expect(fetchCertificate).not.toHaveBeenCalled();
      await expect(verifier.verify(message({ SignatureVersion: '2' }))).resolves.toMatchObject({ ok: true });
    });

    it('refuses a message older than an hour by default (SNS stops retrying by then)', async () => {
      const { verifier } = setup();
      await expect(
        verifier.verify(message({ Timestamp: '2024-05-01T10:59:00.000Z' })),
      ).resolves.toMatchObject({ reason: 'message_too_old' });
      await expect(
        verifier.verify(message({ Timestamp: '2024-05-01T11:01:00.000Z' })),
      ).resolves.toMatchObject({ ok: true });
    });
  });

  describe('configuration errors', () => {
    it('fails fast on an unreadable trusted certificate, naming its URL', () => {
      expect(() => setup({ trustedCertificates: { 'http://localhost/x.pem': 'nope' } })).toThrow(EventsError);
      expect(() => setup({ trustedCertificates: { 'http://localhost/x.pem': 'nope' } })).toThrow(
        /http:\/\/localhost\/x\.pem/,
      );
    });

    it('fails fast on a negative maximum age or an empty cache', () => {
      expect(() => setup({ maxMessageAgeSeconds: -1 })).toThrow(/maxMessageAgeSeconds/);
      expect(() => setup({ certificateCacheSize: 0 })).toThrow(/certificateCacheSize/);
    });
  });
});
