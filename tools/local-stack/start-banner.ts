import type { LocalSecret } from './local-secrets';

export interface BannerInput {
  /** Each service with its URL and `ready` or why it is not. */
  services: readonly { name: string; url: string; status: string }[];
  gateUrl: string;
  adminToken: LocalSecret;
  eventsApiKey: LocalSecret & { header: string };
  /** Where generated secrets are kept (shown relative to the checkout when inside it). */
  secretsFile: string;
  /** The account and region the example commands use, and a server group to force-refresh. */
  example: { account: string; region: string; serverGroup: string };
  /** When the demo estate runs: its AWS endpoint and how often it changes. */
  demo?: { endpointUrl: string; accountId: string; stepSeconds: number };
}

const RULE = '-'.repeat(100);

/**
 * The block `npm start` prints once the services are up: where they are, the secrets in use, and
 * three things to try (events arriving, what the agents cached, Orca's force refresh).
 */
export function startBanner(input: BannerInput): string {
  const { gateUrl, example } = input;
  const width = Math.max(...input.services.map((s) => s.name.length));
  const lines: string[] = [RULE];
  if (input.demo) {
    lines.push(
      `Demo estate (no account configured): AWS account "${example.account}" (${input.demo.accountId}, ${example.region}), simulated`,
      `in this process at ${input.demo.endpointUrl}; no AWS account or credentials are used. Every ${input.demo.stepSeconds} s`,
      'something changes (a scale-out, an instance replaced, a deploy); its EventBridge events go to POST /events.',
      '',
    );
  }
  for (const s of input.services) {
    const status = s.status === 'ready' ? '' : `  not ready: ${s.status}`;
    lines.push(`  ${s.name.padEnd(width)}  ${s.url}${status}`);
  }
  lines.push(
    `  (OpenAPI of each: /api-docs)`,
    '',
    `  admin token     ${input.adminToken.value}  (${secretSource(input.adminToken, 'ADMIN_TOKEN', input.secretsFile)})`,
    `  events API key  ${input.eventsApiKey.value}  (header ${input.eventsApiKey.header}; ${secretSource(input.eventsApiKey, 'EVENTS_API_KEY', input.secretsFile)})`,
    '',
    'Try:',
    '  # events arriving, newest first: heartbeats, instance state changes, Auto Scaling activities, CloudTrail calls',
    `  curl -s -H 'Authorization: Bearer ${input.adminToken.value}' '${gateUrl}/admin/events?limit=5'`,
    '  # the server groups the caching agents cached',
    `  curl -s '${gateUrl}/resources/serverGroups?account=${example.account}'`,
    "  # Orca's force refresh of a server group, then its Location (again until SUCCEEDED)",
    `  loc=$(curl -si -X POST ${gateUrl}/cache/aws/ServerGroup -H 'content-type: application/json' \\`,
    `    -d '{"serverGroupName":"${example.serverGroup}","account":"${example.account}","region":"${example.region}"}' | grep -i '^location:' | cut -d' ' -f2 | tr -d '\\r')`,
    `  curl -s "$loc"`,
    '',
    "Clouddriver's own cache tables (cats_v1_*) are written to the same database: npm run clouddriver:tables",
    'Ctrl-C stops everything. Start-up details of the services: LOG_LEVEL=debug npm start.',
    RULE,
  );
  return lines.join('\n');
}

function secretSource(secret: LocalSecret, variable: string, file: string): string {
  switch (secret.source) {
    case 'configured':
      return `configured: ${variable} or the configuration file`;
    case 'kept':
      return `this data directory's, kept in ${file}; ${variable} overrides`;
    case 'generated':
      return `generated for this data directory, kept in ${file}; ${variable} overrides`;
  }
}
