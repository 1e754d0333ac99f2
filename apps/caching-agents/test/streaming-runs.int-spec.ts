import { DescribeInstancesCommand, EC2Client, EC2ServiceException, type Instance } from '@aws-sdk/client-ec2';
import type { CacheRecord, CachingAgent } from '@event-cache/agents';
import { AWS_AGENT_KINDS } from '@event-cache/aws-agents';
import { mockClient } from 'aws-sdk-client-mock';
import { ProjectionHarness } from './support/clouddriver-harness';

/** Three DescribeInstances pages of two instances each: what "AWS" has, page by page. */
let pages: Instance[][] = [];
/** The page (0-based) whose read fails with RequestLimitExceeded, if any. */
let throttledPage: number | undefined;
/** The store's instance keys when each page was asked for. */
let storedWhenAsked: string[][] = [];
/** Awaited before the last page is answered (lets a test act while a run is under way). */
let beforeLastPage: Promise<void> = Promise.resolve();
/** Instances a targeted refresh (DescribeInstances by id) finds. */
let byId = new Map<string, Instance>();

const ec2 = mockClient(EC2Client);
let h: ProjectionHarness;

function id(n: number): string {
  return `i-0${n.toString(16).padStart(16, '0')}`;
}

function instance(n: number, type = 'm5.large'): Instance {
  return {
    InstanceId: id(n),
    ImageId: 'ami-0abcdef1234567890',
    InstanceType: type as 'm5.large',
    LaunchTime: new Date('2026-02-27T09:14:03.000Z'),
    Placement: { AvailabilityZone: 'us-east-1a', Tenancy: 'default' },
    PrivateIpAddress: `10.0.1.${n}`,
    State: { Code: 16, Name: 'running' },
    SubnetId: 'subnet-0a1b2c3d4e5f60001',
    VpcId: 'vpc-0a1b2c3d4e5f60718',
    Tags: [{ Key: 'aws:autoscaling:groupName', Value: 'app-main-v001' }],
  };
}

function key(n: number): string {
  return `aws:instances:prod:us-east-1:${id(n)}`;
}

async function storedInstances(): Promise<string[]> {
  const rows = await h.db.sql<{ key: string }>(
    `SELECT key FROM cached_resource WHERE type = 'instances' ORDER BY key`,
  );
  return rows.map((r) => r.key);
}

async function instanceTypeOf(n: number): Promise<unknown> {
  const rows = await h.db.sql<{ type: unknown }>(
    `SELECT attributes->'instanceType' AS type FROM cached_resource WHERE key = $1`,
    [key(n)],
  );
  return rows[0]?.type;
}

/** Clouddriver's instance rows, as the keys of our store. */
async function projectedInstances(): Promise<string[]> {
  return (await h.rows('instances')).map((r) => r.id).sort();
}

function throttling(): EC2ServiceException {
  return new EC2ServiceException({
    name: 'RequestLimitExceeded',
    message: 'Request limit exceeded.',
    $fault: 'client',
    $metadata: { httpStatusCode: 503, requestId: '6f1c2b0a-0d2e-4c3b-9a57-1e0b5c2d7a41' },
  });
}

afterAll(() => ec2.restore());

afterEach(() => h.close());

beforeEach(async () => {
  h = await ProjectionHarness.open();
  pages = [
    [instance(1), instance(2)],
    [instance(3), instance(4)],
    [instance(5), instance(6)],
  ];
  throttledPage = undefined;
  storedWhenAsked = [];
  beforeLastPage = Promise.resolve();
  byId = new Map();
  ec2.reset();
  ec2
    .on(DescribeInstancesCommand)
    .callsFake(async (input: { NextToken?: string; InstanceIds?: string[] }) => {
      if (input.InstanceIds) {
        const found = input.InstanceIds.flatMap((i) => byId.get(i) ?? []);
        return { Reservations: [{ ReservationId: 'r-0f', OwnerId: '123456789012', Instances: found }] };
      }
      const n = input.NextToken ? Number(input.NextToken.slice('page-'.length)) : 0;
      storedWhenAsked[n] = await storedInstances();
      if (n === pages.length - 1) await beforeLastPage;
      if (n === throttledPage) throw throttling();
      return {
        Reservations: [{ ReservationId: `r-0${n}`, OwnerId: '123456789012', Instances: pages[n] }],
        NextToken: n + 1 < pages.length ? `page-${n + 1}` : undefined,
      };
    });
});

describe('streamed agent runs on PostgreSQL, with the Clouddriver projection', () => {
  it('writes each page before it reads the page after next, and projects the same rows', async () => {
    const t0 = new Date('2026-03-01T12:00:00.000Z');
    const report = await h.run(AWS_AGENT_KINDS.instances, t0);

    expect(report).toMatchObject({ outcome: 'success', additions: 6, evictions: 0 });
    // The runtime reads one page ahead of its writes: page 1 was stored before page 3 was asked for.
    expect(storedWhenAsked[0]).toEqual([]);
    expect(storedWhenAsked[2]).toEqual(expect.arrayContaining([key(1), key(2)]));
    const all = [1, 2, 3, 4, 5, 6].map(key).sort();
    expect(await storedInstances()).toEqual(all);
    expect(await projectedInstances()).toEqual(all);
  });

  it('keeps the pages of a run throttled part-way, and evicts nothing', async () => {
    await h.run(AWS_AGENT_KINDS.instances, new Date('2026-03-01T12:00:00.000Z'));
    // Instance 1 was resized, 5 and 6 terminated; the second page's read is throttled.
    pages = [[instance(1, 'm5.xlarge'), instance(2)], [instance(3), instance(4)], []];
    throttledPage = 1;

    const report = await h.runAgent(h.agent(AWS_AGENT_KINDS.instances), new Date('2026-03-01T12:05:00.000Z'));

    expect(report).toMatchObject({ outcome: 'throttled', additions: 1, evictions: 0 });
    expect(report.error).toContain('Request limit exceeded');
    // The page written stays (fresh), what was not read stays too (nothing evicted).
    expect(await instanceTypeOf(1)).toBe('m5.xlarge');
    const all = [1, 2, 3, 4, 5, 6].map(key).sort();
    expect(await storedInstances()).toEqual(all);
    expect(await projectedInstances()).toEqual(all);
    const projected = (await h.rows('instances')).find((r) => r.id === key(1));
    expect(projected?.body.attributes.instanceType).toBe('m5.xlarge');
  });

  it('evicts, after a complete run, what no page of it returned, from the store and the projection', async () => {
    await h.run(AWS_AGENT_KINDS.instances, new Date('2026-03-01T12:00:00.000Z'));
    // 2 and 5 terminated; the pages shift (what AWS returns where is not stable).
    pages = [[instance(1), instance(3)], [instance(4), instance(6)], [instance(7)]];

    const report = await h.run(AWS_AGENT_KINDS.instances, new Date('2026-03-01T12:10:00.000Z'));

    expect(report).toMatchObject({ outcome: 'success', additions: 1, evictions: 2 });
    const left = [1, 3, 4, 6, 7].map(key).sort();
    expect(await storedInstances()).toEqual(left);
    expect(await projectedInstances()).toEqual(left);
  });

  it('does not evict what a newer read wrote while the run was going', async () => {
    await h.run(AWS_AGENT_KINDS.instances, new Date('2026-03-01T12:00:00.000Z'));
    // The run starts at 12:20 and no longer sees instance 6; a targeted refresh read at 12:21
    // (an event about instance 6) writes it before the run reads its last page.
    pages = [[instance(1), instance(2)], [instance(3), instance(4)], [instance(5)]];
    byId.set(id(6), instance(6));
    let refreshed!: () => void;
    beforeLastPage = new Promise((resolve) => (refreshed = resolve));
    const running = h.runAgent(h.agent(AWS_AGENT_KINDS.instances), new Date('2026-03-01T12:20:00.000Z'));
    await h.refresh(
      'instances',
      [{ id: id(6), idKind: 'instanceId', key: key(6) }],
      new Date('2026-03-01T12:21:00.000Z'),
    );
    refreshed();

    expect(await running).toMatchObject({ outcome: 'success', evictions: 0 });
    expect(await storedInstances()).toEqual([1, 2, 3, 4, 5, 6].map(key).sort());
  });
});

describe('agents written against the load contract', () => {
  const agentId = 'prod/us-east-1/ElasticIpCachingAgent';
  function legacyAgent(load: () => Promise<CacheRecord[]>): CachingAgent {
    return {
      id: agentId,
      provider: 'aws',
      kind: 'ElasticIpCachingAgent',
      account: 'prod',
      region: 'us-east-1',
      authoritativeTypes: ['elasticIps'],
      load: async (ctx) => {
        const readStartedAt = ctx.now();
        return { resources: await load(), readStartedAt };
      },
    };
  }
  function record(n: number): CacheRecord {
    return {
      key: `aws:elasticIps:prod:us-east-1:eipalloc-0a1b2c3d4e5f6070${n}`,
      type: 'elasticIps',
      account: 'prod',
      region: 'us-east-1',
      attributes: { allocationId: `eipalloc-0a1b2c3d4e5f6070${n}`, publicIp: `203.0.113.${n}` },
    };
  }
  async function legacyKeys(): Promise<string[]> {
    const rows = await h.db.sql<{ key: string }>(
      `SELECT key FROM cached_resource WHERE agent = $1 ORDER BY key`,
      [agentId],
    );
    return rows.map((r) => r.key);
  }

  it('are written as one page, and a complete run evicts what they no longer return', async () => {
    const first = await h.runAgent(
      legacyAgent(() => Promise.resolve([record(1), record(2)])),
      new Date('2026-03-01T13:00:00.000Z'),
    );
    expect(first).toMatchObject({ outcome: 'success', additions: 2, evictions: 0 });

    const second = await h.runAgent(
      legacyAgent(() => Promise.resolve([record(2), record(3)])),
      new Date('2026-03-01T13:05:00.000Z'),
    );

    expect(second).toMatchObject({ outcome: 'success', additions: 1, evictions: 1 });
    expect(await legacyKeys()).toEqual([record(2).key, record(3).key]);
  });

  it('write and evict nothing when load fails', async () => {
    const before = await legacyKeys();
    const report = await h.runAgent(
      legacyAgent(() => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:443'))),
      new Date('2026-03-01T13:10:00.000Z'),
    );
    expect(report).toMatchObject({ outcome: 'failure', additions: 0, evictions: 0 });
    expect(report.error).toContain('ECONNREFUSED');
    expect(await legacyKeys()).toEqual(before);
  });
});
