import { LaunchTemplate$, LaunchTemplateVersion$ } from '@aws-sdk/client-ec2';
import { parseCacheKey } from '@event-cache/events';
import { agentType, CLOUDDRIVER_AGENT, imageKey } from '../clouddriver-agents';
import type { ProjectionPlan } from '../plan';
import { toV1 } from '../sdk-v1/v1-attributes';
import { obj, sortedUnique, type StoredResource, str } from './stored-resource';

/**
 * Clouddriver's AmazonLaunchTemplateCachingAgent: the `LaunchTemplate` with `application` (the
 * Frigga app of its name), `latestVersion` and `versions` (the `$Default` and `$Latest` versions,
 * once each); relationships to the images of those versions. A template whose latest version
 * was not read has no row, as the agent skips it.
 */
export function projectLaunchTemplate(template: StoredResource, plan: ProjectionPlan): void {
  const account = template.account;
  const region = template.region;
  if (!account || !region) return;
  const agent = agentType(account, region, CLOUDDRIVER_AGENT.launchTemplate);
  const latest = template.attributes.latestVersion;
  if (latest === null || latest === undefined) {
    plan.delete('launchTemplates', template.key, agent);
    return;
  }
  const versions = new Map<string, Record<string, unknown>>();
  for (const version of [template.attributes.defaultVersion, latest]) {
    if (version === null || version === undefined) continue;
    versions.set(String(obj(version).versionNumber), toV1(LaunchTemplateVersion$, version, 'jackson'));
  }
  const attributes = toV1(LaunchTemplate$, template.attributes, 'jackson');
  const parsed = parseCacheKey(template.key);
  if (parsed?.type === 'launchTemplates' && parsed.application) attributes.application = parsed.application;
  attributes.latestVersion = toV1(LaunchTemplateVersion$, latest, 'jackson');
  attributes.versions = [...versions.values()];
  const images = sortedUnique(
    [...versions.values()].map((v) =>
      imageKey(str(obj(v.launchTemplateData).imageId) ?? 'null', account, region),
    ),
  );
  plan.upsert({
    type: 'launchTemplates',
    agent,
    data: { id: template.key, attributes, relationships: { images }, ttlSeconds: -1 },
  });
}
