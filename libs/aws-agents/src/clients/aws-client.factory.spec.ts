import { Readable } from 'node:stream';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { ACCOUNT, AWS_CONFIG } from '../__fixtures__/aws.fixtures';
import type { AwsAgentAccount, AwsConfig } from '../aws-agents.model';
import { AwsClientPool, type AwsClientPoolOptions } from './aws-client.factory';

/**
 * These tests run the real SDK clients (middleware, signing, retries, XML parsing) against an
 * in-process HTTP handler that records each request and answers like the service would.
 */
interface SeenRequest {
  hostname: string;
  port?: number;
  protocol: string;
  headers: Record<string, string>;
  body: string;
}

type Responder = (request: SeenRequest) => { status: number; body: string };

function fakeAws(respond: Responder) {
  const seen: SeenRequest[] = [];
  const handler = {
    handle: (request: SeenRequest & { body?: unknown }) => {
      const seenRequest = { ...request, body: typeof request.body === 'string' ? request.body : '' };
      seen.push(seenRequest);
      const { status, body } = respond(seenRequest);
      return Promise.resolve({
        response: {
          statusCode: status,
          headers: { 'content-type': 'text/xml' },
          body: Readable.from([Buffer.from(body)]),
        },
      });
    },
  };
  return { handler, seen };
}

const EC2_OK = `<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>8f7724cf-496f-496e-8fe3-example</requestId>
  <reservationSet/>
</DescribeInstancesResponse>`;
const EC2_THROTTLED = `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>5a6b7c8d-example</RequestID></Response>`;
const EC2_INTERNAL = `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>InternalError</Code><Message>An internal error has occurred</Message></Error></Errors><RequestID>1a2b3c4d-example</RequestID></Response>`;
const ASG_OK = `<DescribeAutoScalingGroupsResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">
  <DescribeAutoScalingGroupsResult><AutoScalingGroups/></DescribeAutoScalingGroupsResult>
  <ResponseMetadata><RequestId>3e6c1c1a-example</RequestId></ResponseMetadata>
</DescribeAutoScalingGroupsResponse>`;
const ASSUME_ROLE_OK = (
  expiration: string,
) => `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/spinnaker-managed/spinnaker-event-cache</Arn>
      <AssumedRoleId>AROA3XFRBF535PLBIFPI4:spinnaker-event-cache</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <SessionToken>IQoJb3JpZ2luX2VjEXAMPLETOKEN</SessionToken>
      <Expiration>${expiration}</Expiration>
    </Credentials>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleResponse>`;

const direct: AwsAgentAccount = { ...ACCOUNT, assumeRole: undefined };
const staticCredentials = () =>
  Promise.resolve({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret' });

function pool(config: Partial<AwsConfig>, respond: Responder, options: AwsClientPoolOptions = {}) {
  const aws = fakeAws(respond);
  const clients = new AwsClientPool(
    { ...AWS_CONFIG, ...config },
    { baseCredentials: staticCredentials, requestHandler: aws.handler, ...options },
  );
  return { clients, seen: aws.seen };
}

describe('AwsClientPool', () => {
  let saved: NodeJS.ProcessEnv;
  beforeEach(() => (saved = { ...process.env }));
  afterEach(() => (process.env = saved));

  it('reuses one client per account, region and service', () => {
    const { clients } = pool({}, () => ({ status: 200, body: EC2_OK }));
    expect(clients.ec2(direct, 'us-east-1')).toBe(clients.ec2(direct, 'us-east-1'));
    expect(clients.ec2(direct, 'us-east-1')).not.toBe(clients.ec2(direct, 'eu-west-1'));
    expect(clients.ec2(direct, 'us-east-1')).not.toBe(
      clients.ec2({ ...direct, name: 'staging' }, 'us-east-1'),
    );
    clients.destroy();
  });

  it('sends to the configured endpoint, per-service endpoints winning over the global one', async () => {
    const { clients, seen } = pool(
      { endpoint: 'http://localstack:4566', endpoints: { autoScaling: 'http://asg.local:5000' } },
      (r) => ({ status: 200, body: r.hostname === 'asg.local' ? ASG_OK : EC2_OK }),
    );
    await clients.ec2(direct, 'us-east-1').send(new DescribeInstancesCommand({}));
    await clients.autoScaling(direct, 'us-east-1').send(new DescribeAutoScalingGroupsCommand({}));
    expect(seen.map((r) => `${r.protocol}//${r.hostname}:${r.port}`)).toEqual([
      'http://localstack:4566',
      'http://asg.local:5000',
    ]);
  });

  it('respects AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_EC2 when no endpoint is configured', async () => {
    process.env.AWS_ENDPOINT_URL = 'http://emulator:4566';
    process.env.AWS_ENDPOINT_URL_EC2 = 'http://ec2-emulator:4599';
    const { clients, seen } = pool({}, (r) => ({
      status: 200,
      body: r.hostname === 'emulator' ? ASG_OK : EC2_OK,
    }));
    await clients.ec2(direct, 'us-east-1').send(new DescribeInstancesCommand({}));
    await clients.autoScaling(direct, 'us-east-1').send(new DescribeAutoScalingGroupsCommand({}));
    expect(seen.map((r) => `${r.hostname}:${r.port}`)).toEqual(['ec2-emulator:4599', 'emulator:4566']);
  });

  /** A recording sleep on a stopped clock: every wait for a token, in ms. */
  function stoppedClock() {
    const waits: number[] = [];
    const options: AwsClientPoolOptions = {
      now: () => 0,
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    };
    return { waits, options };
  }
  const limits = (overrides: Partial<AwsConfig['rateLimits']>): Partial<AwsConfig> => ({
    rateLimits: { ...AWS_CONFIG.rateLimits, ...overrides },
  });

  it("paces each account/region on AWS's buckets: a burst of capacity, then the refill rate", async () => {
    const { waits, options } = stoppedClock();
    const { clients } = pool(
      limits({
        ec2Describe: { capacity: 2, refillPerSecond: 2 },
        autoScaling: { capacity: 1, refillPerSecond: 1 },
      }),
      (r) => ({ status: 200, body: r.hostname.startsWith('autoscaling') ? ASG_OK : EC2_OK }),
      options,
    );
    const ec2 = clients.ec2(direct, 'us-east-1');
    const filtered = { Filters: [{ Name: 'tag:spinnaker:application', Values: ['orders'] }] };
    for (let i = 0; i < 4; i++) await ec2.send(new DescribeInstancesCommand(filtered));
    expect(waits).toEqual([500, 1_000]); // 2 at once, then 2/s
    await clients.ec2(direct, 'eu-west-1').send(new DescribeInstancesCommand(filtered));
    await clients.ec2(direct, 'eu-west-1').send(new DescribeInstancesCommand(filtered));
    expect(waits).toHaveLength(2); // another region has its own buckets
    const asg = clients.autoScaling(direct, 'us-east-1');
    await asg.send(new DescribeAutoScalingGroupsCommand({}));
    await asg.send(new DescribeAutoScalingGroupsCommand({}));
    expect(waits).toEqual([500, 1_000, 1_000]); // Auto Scaling's own bucket, 1/s
  });

  it('draws unfiltered, unpaginated DescribeInstances from the smaller unfiltered bucket as well', async () => {
    const { waits, options } = stoppedClock();
    const { clients } = pool(
      limits({
        ec2Describe: { capacity: 100, refillPerSecond: 20 },
        ec2UnfilteredDescribe: { capacity: 1, refillPerSecond: 10 },
      }),
      () => ({ status: 200, body: EC2_OK }),
      options,
    );
    const ec2 = clients.ec2(direct, 'us-east-1');
    await ec2.send(new DescribeInstancesCommand({ MaxResults: 1_000 }));
    await ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] }));
    expect(waits).toEqual([]); // paged or by id: the Describe bucket only
    await ec2.send(new DescribeInstancesCommand({}));
    await ec2.send(new DescribeInstancesCommand({}));
    expect(waits).toEqual([100]); // the unfiltered bucket (1, 10/s) paced the second
  });

  it("takes a share of every bucket: rateLimitShare 0.5 of AWS's 2 + 2/s is 1 + 1/s", async () => {
    const { waits, options } = stoppedClock();
    const { clients } = pool(
      { ...limits({ ec2Describe: { capacity: 2, refillPerSecond: 2 } }), rateLimitShare: 0.5 },
      () => ({ status: 200, body: EC2_OK }),
      options,
    );
    const ec2 = clients.ec2(direct, 'us-east-1');
    await ec2.send(new DescribeInstancesCommand({ MaxResults: 5 }));
    await ec2.send(new DescribeInstancesCommand({ MaxResults: 5 }));
    expect(waits).toEqual([1_000]);
  });

  it('gives CloudWatch its own endpoint and bucket, like every other service', async () => {
    const { waits, options } = stoppedClock();
    const { clients, seen } = pool(
      {
        endpoint: 'http://localstack:4566',
        endpoints: { cloudWatch: 'http://monitoring.local:4599' },
        ...limits({ cloudWatchDescribeAlarms: { capacity: 1, refillPerSecond: 1 } }),
      },
      () => ({ status: 200, body: '{"MetricAlarms":[],"CompositeAlarms":[]}' }),
      options,
    );
    const cloudWatch = clients.cloudWatch(direct, 'us-east-1');
    expect(clients.cloudWatch(direct, 'us-east-1')).toBe(cloudWatch);
    const out = await cloudWatch.send(
      new DescribeAlarmsCommand({ AlarmNames: ['orders-main-v042-cpu-high'] }),
    );
    await cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: ['orders-main-v042-cpu-high'] }));
    expect(out.MetricAlarms).toEqual([]);
    expect(seen.map((r) => [`${r.hostname}:${r.port}`, r.headers['x-amz-target']])).toEqual([
      ['monitoring.local:4599', 'GraniteServiceVersion20100801.DescribeAlarms'],
      ['monitoring.local:4599', 'GraniteServiceVersion20100801.DescribeAlarms'],
    ]);
    expect(waits).toEqual([1_000]); // 1/s for CloudWatch
  });

  it('adds the time requests waited for a token to the wait counter, by bucket', async () => {
    const { options } = stoppedClock();
    let clock = 0;
    const { clients } = pool(
      limits({ ec2Describe: { capacity: 1, refillPerSecond: 4 } }),
      () => ({ status: 200, body: EC2_OK }),
      {
        now: () => clock,
        sleep: (ms) => {
          clock += ms;
          return options.sleep!(ms);
        },
      },
    );
    const waited: [Record<string, string>, number][] = [];
    clients.bindMetrics({
      counter: (config) => ({
        inc: (labels, value) => {
          if (config.name === 'aws_rate_limit_wait_seconds_total')
            waited.push([labels as Record<string, string>, value ?? 1]);
        },
      }),
      histogram: () => ({ observe: () => {} }),
      gauge: () => ({ set: () => {} }),
    });
    const ec2 = clients.ec2(direct, 'us-east-1');
    await ec2.send(new DescribeInstancesCommand({ MaxResults: 5 }));
    await ec2.send(new DescribeInstancesCommand({ MaxResults: 5 }));
    expect(waited).toEqual([[{ account: 'prod', region: 'us-east-1', bucket: 'ec2Describe' }, 0.25]]);
  });

  it('takes a token for every attempt, retries included', async () => {
    let calls = 0;
    const { waits, options } = stoppedClock();
    const { clients, seen } = pool(
      { maxAttempts: 2, ...limits({ ec2Describe: { capacity: 1, refillPerSecond: 1 } }) },
      () => (++calls === 1 ? { status: 500, body: EC2_INTERNAL } : { status: 200, body: EC2_OK }),
      options,
    );
    await clients.ec2(direct, 'us-east-1').send(new DescribeInstancesCommand({ MaxResults: 5 }));
    expect(seen).toHaveLength(2);
    expect(waits).toEqual([1_000]); // the retry waited for its own token
  });

  it('counts every attempt by account, region, service, operation and outcome once metrics are bound', async () => {
    const replies = [EC2_THROTTLED, EC2_INTERNAL, EC2_OK];
    const { clients } = pool({ maxAttempts: 3 }, () => {
      const body = replies.shift()!;
      return { status: body === EC2_OK ? 200 : body === EC2_THROTTLED ? 503 : 500, body };
    });
    const counted: Record<string, string>[] = [];
    clients.bindMetrics({
      counter: (config) => ({
        inc: (labels) => {
          if (config.name === 'aws_requests_total') counted.push(labels as Record<string, string>);
        },
      }),
      histogram: () => ({ observe: () => {} }),
      gauge: () => ({ set: () => {} }),
    });

    await clients.ec2(direct, 'us-east-1').send(new DescribeInstancesCommand({}));

    const labels = { account: 'prod', region: 'us-east-1', service: 'ec2', operation: 'DescribeInstances' };
    expect(counted).toEqual([
      { ...labels, outcome: 'throttled' },
      { ...labels, outcome: 'error' },
      { ...labels, outcome: 'ok' },
    ]);
  });

  it('surfaces throttling with its AWS error name once attempts are spent', async () => {
    const { clients } = pool({ maxAttempts: 1 }, () => ({ status: 503, body: EC2_THROTTLED }));
    await expect(
      clients.ec2(direct, 'us-east-1').send(new DescribeInstancesCommand({})),
    ).rejects.toMatchObject({
      name: 'RequestLimitExceeded',
      message: 'Request limit exceeded.',
    });
  });

  it('assumes the account role once and signs every service call with the assumed credentials', async () => {
    const expiration = new Date(Date.now() + 3_600_000).toISOString();
    const { clients, seen } = pool({ endpoint: 'http://localstack:4566' }, (r) =>
      r.body.includes('Action=AssumeRole')
        ? { status: 200, body: ASSUME_ROLE_OK(expiration) }
        : { status: 200, body: EC2_OK },
    );
    const account: AwsAgentAccount = { ...ACCOUNT, assumeRole: 'role/spinnaker-managed' };
    await clients.ec2(account, 'us-east-1').send(new DescribeInstancesCommand({}));
    await clients.ec2(account, 'eu-west-1').send(new DescribeInstancesCommand({}));

    const assumeCalls = seen.filter((r) => r.body.includes('Action=AssumeRole'));
    expect(assumeCalls).toHaveLength(1);
    expect(decodeURIComponent(assumeCalls[0].body)).toContain(
      'RoleArn=arn:aws:iam::123456789012:role/spinnaker-managed',
    );
    expect(decodeURIComponent(assumeCalls[0].body)).toContain('RoleSessionName=spinnaker-event-cache');
    const ec2Calls = seen.filter((r) => r.body.includes('Action=DescribeInstances'));
    expect(ec2Calls).toHaveLength(2);
    for (const call of ec2Calls) {
      expect(call.headers.authorization).toContain('Credential=ASIAIOSFODNN7EXAMPLE/');
      expect(call.headers['x-amz-security-token']).toBe('IQoJb3JpZ2luX2VjEXAMPLETOKEN');
    }
  });
});
