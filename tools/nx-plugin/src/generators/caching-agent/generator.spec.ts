import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import * as ts from 'typescript';
import { cachingAgentGenerator } from './generator';

const ROOT = resolve(__dirname, '../../../../..');
const REGISTRY = 'apps/caching-agents/src/agents/custom-agents.ts';
const AGENT = 'apps/caching-agents/src/agents/nat-gateway/nat-gateway.agent.ts';
const SPEC = 'apps/caching-agents/src/agents/nat-gateway/nat-gateway.agent.spec.ts';

describe('caching-agent generator', () => {
  let tree: Tree;

  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
    // The app's real registry, as a developer finds it. (Prettier runs in the CLI, not under Jest,
    // which cannot load its ES modules: generation is checked here unformatted.)
    tree.write(REGISTRY, readFileSync(join(ROOT, REGISTRY), 'utf-8'));
  });

  it('scaffolds the agent, its spec and its registration line', async () => {
    await cachingAgentGenerator(tree, { name: 'nat-gateway', skipFormat: true });

    const agent = tree.read(AGENT, 'utf-8')!;
    expect(agent).toContain('export class NatGatewayCachingAgent implements CachingAgent {');
    expect(agent).toContain("static readonly KIND = 'NatGatewayCachingAgent';");
    expect(agent).toContain('new DescribeNatGatewaysCommand({ MaxResults: 1000, NextToken: nextToken })');
    expect(agent).toContain('for (const item of page.NatGateways ?? [])');
    expect(agent).toContain('const id = item.NatGatewayId;');
    expect(agent).toContain("readonly authoritativeTypes = ['natGateways'];");
    expect(agent).toContain('return `aws:natGateways:${account}:${region}:${id}`;');

    const spec = tree.read(SPEC, 'utf-8')!;
    expect(spec).toContain("import { mockClient } from 'aws-sdk-client-mock';");
    expect(spec).toContain('const ec2 = mockClient(EC2Client);');
    expect(spec).toContain("attributes: { natGatewayId: 'nat-gateway-1' },");

    const registry = tree.read(REGISTRY, 'utf-8')!;
    expect(registry).toContain("import { natGatewayCachingAgents } from './nat-gateway/nat-gateway.agent';");
    expect(registry).toMatch(/ {2}natGatewayCachingAgents,\n {2}\/\/ caching-agent registrations/);
  });

  it('takes the command, fields, key type and page size when AWS names them differently', async () => {
    await cachingAgentGenerator(tree, {
      name: 'ElasticIp',
      command: 'DescribeAddresses',
      listField: 'Addresses',
      idField: 'AllocationId',
      keyType: 'elasticIps',
      pageSize: 500,
      skipFormat: true,
    });
    const agent = tree.read('apps/caching-agents/src/agents/elastic-ip/elastic-ip.agent.ts', 'utf-8')!;
    expect(agent).toContain(
      "import { DescribeAddressesCommand, type DescribeAddressesCommandOutput } from '@aws-sdk/client-ec2';",
    );
    expect(agent).toContain('const id = item.AllocationId;');
    expect(agent).toContain('MaxResults: 500');
    expect(agent).toContain("type: 'elasticIps',");
  });

  it('registers several agents one line each, and refuses to overwrite one', async () => {
    await cachingAgentGenerator(tree, { name: 'NatGateway', skipFormat: true });
    await cachingAgentGenerator(tree, { name: 'RouteTable', skipFormat: true });
    const registry = tree.read(REGISTRY, 'utf-8')!;
    expect([...registry.matchAll(/^ {2}(\w+CachingAgents),$/gm)].map((m) => m[1])).toEqual([
      'natGatewayCachingAgents',
      'routeTableCachingAgents',
    ]);
    await expect(cachingAgentGenerator(tree, { name: 'NatGateway', skipFormat: true })).rejects.toThrow(
      'apps/caching-agents/src/agents/nat-gateway already exists',
    );
  });

  it('says what is wrong with a registry it cannot extend', async () => {
    tree.write(REGISTRY, 'export const REGISTRATIONS = [];\n');
    await expect(cachingAgentGenerator(tree, { name: 'NatGateway', skipFormat: true })).rejects.toThrow(
      `${REGISTRY} has no "// caching-agent registrations" line`,
    );
  });

  it('generates code that type-checks against the workspace as it is', async () => {
    await cachingAgentGenerator(tree, { name: 'NatGateway', skipFormat: true });
    const diagnostics = typeCheck(tree, [AGENT, SPEC, REGISTRY]);
    expect(diagnostics).toEqual([]);
  }, 120_000);
});

/** Type-checks files of the virtual tree as if they were in the workspace (tsconfig.json options). */
function typeCheck(tree: Tree, files: string[]): string[] {
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), (path) => ts.sys.readFile(path));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  const overlay = new Map(files.map((f) => [join(ROOT, f), tree.read(f, 'utf-8')!]));
  const host = ts.createCompilerHost({ ...options, noEmit: true });
  const readFile = host.readFile.bind(host);
  host.readFile = (path) => overlay.get(path) ?? readFile(path);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (path) => overlay.has(path) || fileExists(path);
  host.directoryExists = (path) =>
    [...overlay.keys()].some((f) => f.startsWith(path)) || ts.sys.directoryExists(path);
  const program = ts.createProgram([...overlay.keys()], { ...options, noEmit: true }, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file === undefined || overlay.has(d.file.fileName))
    .map(
      (d) =>
        `${d.file?.fileName.slice(ROOT.length + 1) ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
    );
}
