import {
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  type LaunchTemplate,
  type LaunchTemplateVersion,
} from '@aws-sdk/client-ec2';
import type { CacheRecord } from '@event-cache/agents';
import { launchTemplateKey, parseFriggaName } from '@event-cache/events';
import { attributesOf } from '../aws/attributes';
import { NOT_FOUND_ERROR_NAMES } from '../aws/aws-errors';
import { allPages, eachPage, readIsolatingMissing } from '../aws/batching';
import { AWS_AGENT_KINDS } from '../aws-agents.model';
import { AwsCachingAgent, type AwsScope } from './aws-caching-agent';
import { AwsTargetedRefresher, type IdReader, readInChunks, recordsById } from './aws-targeted-refresher';

/** DescribeLaunchTemplates pages of up to 200; DescribeLaunchTemplateVersions pages of up to 200. */
const PAGE_SIZE = 200;
/** Values per `launch-template-name` filter, and ids per call. */
const IDS_PER_CALL = 200;

interface Versions {
  latest?: LaunchTemplateVersion;
  default?: LaunchTemplateVersion;
}

/**
 * A launch template record: attributes = the SDK's `LaunchTemplate` in camelCase plus
 * `latestVersion` and `defaultVersion` (each a `LaunchTemplateVersion` with its
 * `launchTemplateData`: image, instance type, security groups ...).
 */
export function launchTemplateRecord(
  template: LaunchTemplate,
  versions: Versions | undefined,
  scope: AwsScope,
): CacheRecord | undefined {
  const name = template.LaunchTemplateName;
  if (!name) return undefined;
  const account = scope.account.name;
  const region = scope.region;
  const app = parseFriggaName(name).app;
  return {
    key: launchTemplateKey({ account, region, launchTemplateName: name }),
    type: 'launchTemplates',
    account,
    region,
    application: app === null ? null : app.toLowerCase(),
    attributes: {
      ...attributesOf(template),
      latestVersion: versions?.latest ? attributesOf(versions.latest) : null,
      defaultVersion: versions?.default ? attributesOf(versions.default) : null,
    },
  };
}

/**
 * `$Latest` and `$Default` versions of every launch template of the region in one paginated listing
 * (DescribeLaunchTemplateVersions accepts these without a template id), instead of one call per
 * template as Clouddriver does.
 */
async function latestAndDefaultVersions(
  scope: AwsScope,
  signal: AbortSignal,
): Promise<Map<string, Versions>> {
  const ec2 = scope.clients.ec2(scope.account, scope.region);
  const pages = await allPages(
    signal,
    (NextToken) =>
      ec2.send(
        new DescribeLaunchTemplateVersionsCommand({
          Versions: ['$Latest', '$Default'],
          MaxResults: PAGE_SIZE,
          NextToken,
        }),
        { abortSignal: signal },
      ),
    (page) => page.NextToken,
  );
  return indexVersions(pages.flatMap((p) => p.LaunchTemplateVersions ?? []));
}

function indexVersions(list: LaunchTemplateVersion[]): Map<string, Versions> {
  const byId = new Map<string, Versions>();
  for (const version of list) {
    if (!version.LaunchTemplateId) continue;
    const entry = byId.get(version.LaunchTemplateId) ?? {};
    if (version.DefaultVersion) entry.default = version;
    if (entry.latest === undefined || (version.VersionNumber ?? 0) > (entry.latest.VersionNumber ?? 0)) {
      entry.latest = version;
    }
    byId.set(version.LaunchTemplateId, entry);
  }
  return byId;
}

/**
 * Every launch template of the account/region with its latest and default versions, a page (200)
 * at a time. The region's `$Latest`/`$Default` listing is read once, before the first page of
 * templates is handed on (one call per template otherwise); each template takes its versions out
 * of it, so what is held shrinks as the run goes.
 */
export async function* launchTemplatePages(
  scope: AwsScope,
  signal: AbortSignal,
): AsyncGenerator<CacheRecord[]> {
  const ec2 = scope.clients.ec2(scope.account, scope.region);
  const pages = eachPage(
    signal,
    (NextToken) =>
      ec2.send(new DescribeLaunchTemplatesCommand({ MaxResults: PAGE_SIZE, NextToken }), {
        abortSignal: signal,
      }),
    (page) => page.NextToken,
  );
  let versions: Map<string, Versions> | undefined;
  for await (const page of pages) {
    const templates = page.LaunchTemplates ?? [];
    if (templates.length === 0) continue;
    versions ??= await latestAndDefaultVersions(scope, signal);
    yield templates.flatMap((t) => {
      const own = t.LaunchTemplateId ? versions?.get(t.LaunchTemplateId) : undefined;
      if (t.LaunchTemplateId) versions?.delete(t.LaunchTemplateId);
      return launchTemplateRecord(t, own, scope) ?? [];
    });
  }
}

function launchTemplateReader(by: 'name' | 'id'): IdReader {
  return (scope, ids, signal) => {
    const ec2 = scope.clients.ec2(scope.account, scope.region);
    // One region-wide version listing per batch, shared by its chunks.
    let versionsOnce: Promise<Map<string, Versions>> | undefined;
    return readInChunks(ids, IDS_PER_CALL, signal, async (part) => {
      const describe = async (values: string[]) => {
        const pages = await allPages(
          signal,
          (NextToken) =>
            ec2.send(
              new DescribeLaunchTemplatesCommand(
                by === 'name'
                  ? {
                      Filters: [{ Name: 'launch-template-name', Values: values }],
                      MaxResults: PAGE_SIZE,
                      NextToken,
                    }
                  : { LaunchTemplateIds: values, NextToken },
              ),
              { abortSignal: signal },
            ),
          (page) => page.NextToken,
        );
        return pages.flatMap((p) => p.LaunchTemplates ?? []);
      };
      const { found } = await readIsolatingMissing(part, describe, {
        notFound: NOT_FOUND_ERROR_NAMES.launchTemplate,
      });
      const versions =
        found.length > 0
          ? await (versionsOnce ??= latestAndDefaultVersions(scope, signal))
          : new Map<string, Versions>();
      return recordsById(
        found,
        (t) => (by === 'name' ? t.LaunchTemplateName : t.LaunchTemplateId),
        (t) =>
          launchTemplateRecord(t, t.LaunchTemplateId ? versions.get(t.LaunchTemplateId) : undefined, scope),
      );
    });
  };
}

/** Clouddriver's LaunchTemplateCachingAgent. */
export class LaunchTemplateCachingAgent extends AwsCachingAgent {
  static readonly KIND = AWS_AGENT_KINDS.launchTemplates;
  readonly authoritativeTypes = ['launchTemplates'] as const;

  constructor(scope: AwsScope) {
    super(scope, LaunchTemplateCachingAgent.KIND);
  }

  protected pages(signal: AbortSignal): AsyncIterable<CacheRecord[]> {
    return launchTemplatePages(this.scope, signal);
  }
}

/**
 * Targeted refreshes of `launchTemplates` by name or id. Versions come from the region-wide
 * `$Latest`/`$Default` listing: a bounded number of pages whatever the batch size.
 */
export class LaunchTemplateRefresher extends AwsTargetedRefresher {
  readonly types = ['launchTemplates'] as const;
  protected readonly agentKind = LaunchTemplateCachingAgent.KIND;

  protected readers() {
    return { launchTemplateName: launchTemplateReader('name'), launchTemplateId: launchTemplateReader('id') };
  }
}
