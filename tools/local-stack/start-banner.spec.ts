import { startBanner } from './start-banner';

describe("npm start's block", () => {
  const input = {
    services: [
      { name: 'gate-endpoint', url: 'http://localhost:8090', status: 'ready' },
      { name: 'event-scheduler', url: 'http://localhost:8091', status: 'ready' },
      { name: 'caching-agents', url: 'http://localhost:8092', status: 'ready' },
      { name: 'clouddriver-forwarder', url: 'http://localhost:8093', status: 'no Kubernetes configuration' },
    ],
    gateUrl: 'http://localhost:8090',
    adminToken: { value: 'admin-token-0123456789', source: 'generated' as const },
    eventsApiKey: { value: 'events-key-0123456789', source: 'kept' as const, header: 'x-api-key' },
    secretsFile: '.data/local-secrets.json',
    example: { account: 'demo', region: 'us-east-1', serverGroup: 'billing-worker-v002' },
    demo: { endpointUrl: 'http://127.0.0.1:40123', accountId: '000000000000', stepSeconds: 30 },
  };

  it('names the four URLs, the secrets in use and where they come from, and the demo estate', () => {
    const block = startBanner(input);
    for (const url of ['8090', '8091', '8092', '8093']) expect(block).toContain(`http://localhost:${url}`);
    expect(block).toContain('http://localhost:8093  not ready: no Kubernetes configuration');
    expect(block).toContain(
      'admin token     admin-token-0123456789  (generated for this data directory, kept in .data/local-secrets.json; ADMIN_TOKEN overrides)',
    );
    expect(block).toContain(
      "events API key  events-key-0123456789  (header x-api-key; this data directory's",
    );
    expect(block).toContain(
      'Demo estate (no account configured): AWS account "demo" (000000000000, us-east-1)',
    );
    expect(block).toContain('http://127.0.0.1:40123');
  });

  it('gives three commands to paste: the events, the cached server groups, a force refresh and its Location', () => {
    const commands = startBanner(input)
      .split('\n')
      .filter((line) => /^ {2}(curl|loc=|\s+-d)/.test(line));
    expect(commands).toEqual([
      "  curl -s -H 'Authorization: Bearer admin-token-0123456789' 'http://localhost:8090/admin/events?limit=5'",
      "  curl -s 'http://localhost:8090/resources/serverGroups?account=demo'",
      "  loc=$(curl -si -X POST http://localhost:8090/cache/aws/ServerGroup -H 'content-type: application/json' \\",
      `    -d '{"serverGroupName":"billing-worker-v002","account":"demo","region":"us-east-1"}' | grep -i '^location:' | cut -d' ' -f2 | tr -d '\\r')`,
      '  curl -s "$loc"',
    ]);
  });

  it('without the demo (accounts configured): no demo lines, the commands name the first account', () => {
    const block = startBanner({
      ...input,
      adminToken: { value: 'configured-token-0000', source: 'configured' },
      example: { account: 'prod', region: 'eu-west-1', serverGroup: '<server group>' },
      demo: undefined,
    });
    expect(block).not.toContain('Demo estate');
    expect(block).toContain('(configured: ADMIN_TOKEN or the configuration file)');
    expect(block).toContain("'http://localhost:8090/resources/serverGroups?account=prod'");
    expect(block).toContain('"serverGroupName":"<server group>","account":"prod","region":"eu-west-1"');
  });
});
