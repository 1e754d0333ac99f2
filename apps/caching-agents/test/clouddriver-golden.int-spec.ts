import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribePoliciesCommand,
  DescribeScheduledActionsCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { AWS_AGENT_KINDS } from '@event-cache/aws-agents';
import { PROJECTED_TYPES } from '@event-cache/clouddriver-projection';
import { mockClient } from 'aws-sdk-client-mock';
import * as aws from './fixtures/clouddriver/aws-responses';
import { ACCOUNT, type CatsRow, ProjectionHarness } from './support/clouddriver-harness';

/**
 * Golden rows: what Clouddriver's own AWS caching agents would write into its SQL cache for the
 * AWS responses of fixtures/clouddriver/aws-responses.ts, written by hand from Clouddriver's source
 * (fixtures/clouddriver/<type>.json, each with its sources and judgement calls). The real agents
 * run against those responses (aws-sdk-client-mock), write through a store that projects, and the
 * cats tables must hold exactly the golden rows: every resource and relationship table of every
 * type the projection writes, nothing more.
 *
 * Normalisation before comparing, and nothing else:
 * - bodies are parsed (JSON.parse) and compared as objects: key order does not matter, numbers
 *   compare by value (Jackson writes a Double 50 as 50.0);
 * - every array under `relationships` is compared as a set (Clouddriver keeps them in sets);
 * - a launch template's `attributes.versions` is compared as a set (Clouddriver collects it with
 *   Collectors.toSet(), so its order is a HashSet's).
 * Rows are matched on (id, agent), relationship rows on (id, rel_id, rel_agent, rel_type).
 */

const FIXTURES = join(__dirname, 'fixtures', 'clouddriver');

interface GoldenRow {
  table: string;
  id: string;
  agent: string;
  application: string | null;
  body: CatsRow['body'];
}
interface GoldenRelationship {
  table: string;
  id: string;
  relId: string;
  relAgent: string;
  relType: string;
}
interface GoldenFile {
  source: string[];
  input: string;
  notes: string[];
  rows: GoldenRow[];
  relationships: GoldenRelationship[];
}

const golden: GoldenFile[] = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')) as GoldenFile);

const compareStrings = (a: string | null, b: string | null) =>
  a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1;

function normalizedBody(type: string, body: CatsRow['body']): CatsRow['body'] {
  const relationships = Object.fromEntries(
    Object.entries(body.relationships).map(([k, keys]) => [
      k,
      [...(keys as (string | null)[])].sort(compareStrings),
    ]),
  );
  const attributes = { ...body.attributes };
  if (type === 'launchTemplates' && Array.isArray(attributes.versions)) {
    attributes.versions = [...(attributes.versions as { versionNumber: number }[])].sort(
      (a, b) => a.versionNumber - b.versionNumber,
    );
  }
  return { ...body, attributes, relationships };
}

const rowOrder = (a: { id: string; agent: string }, b: { id: string; agent: string }) =>
  compareStrings(a.id, b.id) || compareStrings(a.agent, b.agent);
const relOrder = (a: Omit<GoldenRelationship, 'table'>, b: Omit<GoldenRelationship, 'table'>) =>
  compareStrings(a.id, b.id) ||
  compareStrings(a.relType, b.relType) ||
  compareStrings(a.relId, b.relId) ||
  compareStrings(a.relAgent, b.relAgent);

function expectedRows(type: string) {
  return golden
    .flatMap((g) => g.rows)
    .filter((r) => r.table === type)
    .map((r) => ({
      id: r.id,
      agent: r.agent,
      application: r.application,
      body: normalizedBody(type, r.body),
    }))
    .sort(rowOrder);
}

function expectedRelationships(type: string) {
  return golden
    .flatMap((g) => g.relationships)
    .filter((r) => r.table === type)
    .map(({ id, relId, relAgent, relType }) => ({ id, relId, relAgent, relType }))
    .sort(relOrder);
}

// --- the AWS side --------------------------------------------------------------------------------

const ec2 = mockClient(EC2Client);
const autoScaling = mockClient(AutoScalingClient);
const cloudWatch = mockClient(CloudWatchClient);
const elb = mockClient(ElasticLoadBalancingV2Client);

function mockUsEast1(): void {
  ec2
    .on(DescribeInstancesCommand)
    .resolves({
      Reservations: [
        {
          ReservationId: 'r-0a1b2c3d4e5f60031',
          OwnerId: aws.ACCOUNT_ID,
          Groups: [],
          Instances: aws.instances,
        },
      ],
    })
    .on(DescribeSubnetsCommand)
    .resolves({ Subnets: aws.subnets })
    .on(DescribeVpcsCommand)
    .resolves({ Vpcs: aws.vpcs })
    .on(DescribeSecurityGroupsCommand)
    .resolves({ SecurityGroups: aws.securityGroups })
    .on(DescribeLaunchTemplatesCommand)
    .resolves({ LaunchTemplates: aws.launchTemplates })
    .on(DescribeLaunchTemplateVersionsCommand)
    .resolves({ LaunchTemplateVersions: aws.launchTemplateVersions });
  autoScaling
    .on(DescribeAutoScalingGroupsCommand)
    .resolves({ AutoScalingGroups: aws.autoScalingGroups })
    .on(DescribePoliciesCommand)
    .resolves({ ScalingPolicies: aws.scalingPolicies })
    .on(DescribeScheduledActionsCommand)
    .resolves({ ScheduledUpdateGroupActions: aws.scheduledActions });
  cloudWatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: aws.metricAlarms });
  elb
    .on(DescribeLoadBalancersCommand)
    .resolves({ LoadBalancers: aws.loadBalancers })
    .on(DescribeTargetGroupsCommand)
    .resolves({ TargetGroups: aws.targetGroups })
    .on(DescribeListenersCommand)
    .resolves({ Listeners: aws.listeners })
    .on(DescribeRulesCommand)
    .callsFake((input: { ListenerArn: string }) => ({ Rules: aws.rules[input.ListenerArn] }))
    .on(DescribeLoadBalancerAttributesCommand)
    .resolves({ Attributes: aws.loadBalancerAttributes })
    .on(DescribeTargetGroupAttributesCommand)
    .callsFake((input: { TargetGroupArn: string }) => ({
      Attributes: aws.targetGroupAttributes[input.TargetGroupArn],
    }))
    .on(DescribeTargetHealthCommand)
    .callsFake((input: { TargetGroupArn: string }) => ({
      TargetHealthDescriptions: aws.targetHealth[input.TargetGroupArn],
    }));
}

function mockEuWest1(): void {
  for (const client of [ec2, autoScaling, cloudWatch, elb]) client.reset();
  ec2.on(DescribeSubnetsCommand).resolves({ Subnets: aws.subnetsEu });
  autoScaling
    .on(DescribeAutoScalingGroupsCommand)
    .resolves({ AutoScalingGroups: aws.autoScalingGroupsEu })
    .on(DescribePoliciesCommand)
    .resolves({ ScalingPolicies: [] })
    .on(DescribeScheduledActionsCommand)
    .resolves({ ScheduledUpdateGroupActions: [] });
}

describe('Clouddriver golden rows', () => {
  let harness: ProjectionHarness;

  beforeAll(async () => {
    harness = await ProjectionHarness.open({
      accounts: [{ ...ACCOUNT, regions: [{ name: aws.US_EAST_1 }, { name: aws.EU_WEST_1 }] }],
    });
    const now = new Date('2026-03-01T12:00:00.000Z');
    mockUsEast1();
    await harness.run(AWS_AGENT_KINDS.instances, now);
    await harness.run(AWS_AGENT_KINDS.clusters, now);
    await harness.run(AWS_AGENT_KINDS.launchTemplates, now);
    await harness.run(AWS_AGENT_KINDS.loadBalancers, now);
    await harness.run(AWS_AGENT_KINDS.securityGroups, now);
    await harness.run(AWS_AGENT_KINDS.subnets, now);
    await harness.run(AWS_AGENT_KINDS.vpcs, now);
    mockEuWest1();
    await harness.run(AWS_AGENT_KINDS.clusters, now, { region: aws.EU_WEST_1 });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it.each([...PROJECTED_TYPES])('writes exactly the golden %s rows', async (type) => {
    const rows = (await harness.rows(type)).map((r) => ({
      id: r.id,
      agent: r.agent,
      application: r.application,
      body: normalizedBody(type, r.body),
    }));
    expect(rows.sort(rowOrder)).toEqual(expectedRows(type));
  });

  it.each([...PROJECTED_TYPES])('writes exactly the golden %s relationship rows', async (type) => {
    const relationships = (await harness.relationships(type)).map((r) => ({ ...r }));
    expect(relationships.sort(relOrder)).toEqual(expectedRelationships(type));
  });

  it('stores every body with body_hash = sha256 hex of the body', async () => {
    const rows = (await Promise.all(PROJECTED_TYPES.map((type) => harness.rows(type)))).flat();
    expect(rows.length).toBe(golden.flatMap((g) => g.rows).length);
    for (const row of rows) {
      expect(row.bodyHash).toBe(createHash('sha256').update(row.rawBody, 'utf8').digest('hex'));
    }
  });
});
