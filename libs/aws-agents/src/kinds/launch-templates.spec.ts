import {
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  type LaunchTemplate,
  type LaunchTemplateVersion,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { agentContext, REGION, scopeFor, streamed } from '../__fixtures__/aws.fixtures';
import { LaunchTemplateCachingAgent, LaunchTemplateRefresher } from './launch-templates';

const ec2 = mockClient(EC2Client);
beforeEach(() => ec2.reset());

const template = (n: number, name: string): LaunchTemplate => ({
  LaunchTemplateId: `lt-0${String(n).padStart(16, '0')}`,
  LaunchTemplateName: name,
  CreateTime: new Date('2026-01-10T08:00:00.000Z'),
  CreatedBy: 'arn:aws:sts::123456789012:assumed-role/spinnaker-managed/spinnaker',
  DefaultVersionNumber: 1,
  LatestVersionNumber: 3,
});
const version = (n: number, name: string, number: number, isDefault: boolean): LaunchTemplateVersion => ({
  LaunchTemplateId: `lt-0${String(n).padStart(16, '0')}`,
  LaunchTemplateName: name,
  VersionNumber: number,
  DefaultVersion: isDefault,
  CreateTime: new Date('2026-01-10T08:00:00.000Z'),
  LaunchTemplateData: {
    ImageId: `ami-0${String(number).padStart(16, '0')}`,
    InstanceType: 'm5.large',
    SecurityGroupIds: ['sg-0123456789abcdef0'],
    MetadataOptions: { HttpTokens: 'required' },
  },
});

describe('LaunchTemplateCachingAgent', () => {
  it('reads templates and all $Latest/$Default versions in two paginated listings, not one call per template', async () => {
    ec2
      .on(DescribeLaunchTemplatesCommand)
      .callsFake((input: { NextToken?: string }) =>
        input.NextToken
          ? { LaunchTemplates: [template(2, 'payments-v007')] }
          : { LaunchTemplates: [template(1, 'orders-main-v042')], NextToken: 'bHQtcGFnZS0y' },
      );
    ec2.on(DescribeLaunchTemplateVersionsCommand).resolves({
      LaunchTemplateVersions: [
        version(1, 'orders-main-v042', 3, false),
        version(1, 'orders-main-v042', 1, true),
        version(2, 'payments-v007', 1, true),
      ],
    });

    const { resources } = await streamed(new LaunchTemplateCachingAgent(scopeFor()));

    expect(ec2.commandCalls(DescribeLaunchTemplateVersionsCommand).map((c) => c.args[0].input)).toEqual([
      { Versions: ['$Latest', '$Default'], MaxResults: 200, NextToken: undefined },
    ]);
    expect(resources.map((r) => r.key)).toEqual([
      'aws:launchTemplates:prod:us-east-1:orders-main-v042',
      'aws:launchTemplates:prod:us-east-1:payments-v007',
    ]);
    expect(resources[0].attributes).toMatchObject({
      launchTemplateName: 'orders-main-v042',
      latestVersion: { versionNumber: 3, launchTemplateData: { imageId: 'ami-00000000000000003' } },
      defaultVersion: { versionNumber: 1, defaultVersion: true },
    });
    expect(resources[1].attributes).toMatchObject({
      latestVersion: { versionNumber: 1 },
      defaultVersion: { versionNumber: 1 },
    });
  });
});

describe('LaunchTemplateRefresher', () => {
  it('reads templates by name with the launch-template-name filter; unknown names are gone', async () => {
    ec2.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [template(1, 'orders-main-v042')] });
    ec2.on(DescribeLaunchTemplateVersionsCommand).resolves({
      LaunchTemplateVersions: [version(1, 'orders-main-v042', 3, true)],
    });
    const scope = scopeFor();
    const outcome = await new LaunchTemplateRefresher(
      new Map([['prod', scope.account]]),
      scope.clients,
    ).refresh(
      {
        account: 'prod',
        region: REGION,
        type: 'launchTemplates',
        items: ['orders-main-v042', 'orders-main-v041'].map((name, n) => ({
          requestId: `req-${n}`,
          key: `aws:launchTemplates:prod:us-east-1:${name}`,
          id: name,
          idKind: 'launchTemplateName',
          partial: false,
        })),
      },
      agentContext(),
    );
    expect(ec2.commandCalls(DescribeLaunchTemplatesCommand)[0].args[0].input.Filters).toEqual([
      { Name: 'launch-template-name', Values: ['orders-main-v042', 'orders-main-v041'] },
    ]);
    expect(outcome.found.map((r) => r.key)).toEqual(['aws:launchTemplates:prod:us-east-1:orders-main-v042']);
    expect(outcome.missing).toEqual(['aws:launchTemplates:prod:us-east-1:orders-main-v041']);
    expect(outcome.agentId).toBe('prod/us-east-1/LaunchTemplateCachingAgent');
  });
});
