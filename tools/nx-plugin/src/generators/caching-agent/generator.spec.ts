import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { logger, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { cachingAgentGenerator } from './generator';
import { AWS_SETUP_PAGE, MEMBER_ACCOUNT_POLICY } from './iam-docs';

const ROOT = resolve(__dirname, '../../../../..');
const REGISTRY = 'apps/caching-agents/src/agents/custom-agents.ts';
const AGENTS = 'apps/caching-agents/src/agents';
const agentFile = (folder: string) => `${AGENTS}/${folder}/${folder}.agent.ts`;
const specFile = (folder: string) => `${AGENTS}/${folder}/${folder}.agent.spec.ts`;

describe('caching-agent generator', () => {
  let tree: Tree;
  let printed: string[];

  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
    // The app's real registry and IAM docs, as a developer finds them. (Prettier runs in the CLI,
    // not under Jest, which cannot load its ES modules: generation is checked here unformatted;
    // the documented examples below go through the CLI, formatted.)
    for (const file of [REGISTRY, MEMBER_ACCOUNT_POLICY, AWS_SETUP_PAGE]) {
      tree.write(file, readFileSync(join(ROOT, file), 'utf-8'));
    }
    printed = [];
    jest.spyOn(logger, 'info').mockImplementation((line: string) => void printed.push(line));
    jest.spyOn(logger, 'warn').mockImplementation((line: string) => void printed.push(`WARN ${line}`));
  });

  afterEach(() => jest.restoreAllMocks());

  it('scaffolds a paged agent, its refresher, its spec and its registration line', async () => {
    await cachingAgentGenerator(tree, { name: 'nat-gateway', skipFormat: true });

    const agent = tree.read(agentFile('nat-gateway'), 'utf-8')!;
    expect(agent).toContain('export class NatGatewayCachingAgent implements StreamingCachingAgent {');
    expect(agent).toContain("static readonly KIND = 'NatGatewayCachingAgent';");
    expect(agent).toContain(
      'new DescribeNatGatewaysCommand({ ...input, MaxResults: 1000, NextToken: nextToken })',
    );
    expect(agent).toContain('yield page.NatGateways ?? [];');
    expect(agent).toContain('const id = item.NatGatewayId;');
    expect(agent).toContain("readonly authoritativeTypes = ['natGateways'];");
    expect(agent).toContain('return `aws:natGateways:${account}:${region}:${id}`;');
    // DescribeNatGateways names its filter parameter `Filter`, as the SDK's model says.
    expect(agent).toContain(
      "describePages(ec2, { Filter: [{ Name: 'nat-gateway-id', Values: part }] }, ctx.signal)",
    );
    expect(agent).toContain('export class NatGatewayRefresher implements TargetedRefresher {');

    const spec = tree.read(specFile('nat-gateway'), 'utf-8')!;
    expect(spec).toContain('const ec2 = mockClient(EC2Client);');
    expect(spec).toContain("attributes: { natGatewayId: 'nat-gateway-1' },");

    const registry = tree.read(REGISTRY, 'utf-8')!;
    expect(registry).toContain("import { natGatewayCachingAgents } from './nat-gateway/nat-gateway.agent';");
    expect(registry).toMatch(/ {2}natGatewayCachingAgents,\n {2}\/\/ caching-agent registrations/);
  });

  it('reads a command that does not page (DescribeAddresses) in one call, without paging parameters', async () => {
    await cachingAgentGenerator(tree, {
      name: 'ElasticIp',
      command: 'DescribeAddresses',
      listField: 'Addresses',
      idField: 'AllocationId',
      keyType: 'elasticIps',
      skipFormat: true,
    });

    const agent = tree.read(agentFile('elastic-ip'), 'utf-8')!;
    expect(agent).toContain('await ec2.send(new DescribeAddressesCommand(input), { abortSignal: signal });');
    expect(agent).not.toMatch(/NextToken|MaxResults/);
    expect(agent).toContain("{ Filters: [{ Name: 'allocation-id', Values: part }] }");
    expect(agent).toContain("type: 'elasticIps',");
    expect(printed).toContain(
      'ElasticIpCachingAgent calls EC2 DescribeAddresses (one call: it does not page).',
    );
  });

  it('takes --paged and --pageSize, and says when --paged contradicts the AWS SDK', async () => {
    await cachingAgentGenerator(tree, { name: 'RouteTable', pageSize: 100, skipFormat: true });
    expect(tree.read(agentFile('route-table'), 'utf-8')).toContain('MaxResults: 100, NextToken: nextToken');

    await cachingAgentGenerator(tree, { name: 'Volume', paged: false, skipFormat: true });
    expect(tree.read(agentFile('volume'), 'utf-8')).not.toContain('NextToken');
    expect(printed).toContain(
      'WARN DescribeVolumes pages (the SDK has paginateDescribeVolumes): with --paged=false the agent reads only the first page',
    );

    await expect(
      cachingAgentGenerator(tree, { name: 'KeyPair', pageSize: 100, skipFormat: true }),
    ).rejects.toThrow('DescribeKeyPairs takes no page size (it does not page): drop --pageSize');
  });

  it('leaves the refresher out with refresher: false', async () => {
    await cachingAgentGenerator(tree, { name: 'RouteTable', refresher: false, skipFormat: true });

    const agent = tree.read(agentFile('route-table'), 'utf-8')!;
    expect(agent).not.toContain('Refresher');
    expect(tree.read(specFile('route-table'), 'utf-8')).not.toContain('Refresher');
    expect(printed).toContain('No targeted refresher: routeTables are read by full runs only.');
  });

  it('grants the IAM action in the member-account policy and the AWS set-up guide, and prints it', async () => {
    await cachingAgentGenerator(tree, { name: 'NatGateway', skipFormat: true });

    const policy = JSON.parse(tree.read(MEMBER_ACCOUNT_POLICY, 'utf-8')!) as {
      Statement: { Action: string[] }[];
    };
    const actions = policy.Statement[0].Action;
    expect(actions.indexOf('ec2:DescribeNatGateways')).toBe(
      actions.filter((a) => a.startsWith('ec2:')).length - 1,
    );
    const page = tree.read(AWS_SETUP_PAGE, 'utf-8')!;
    expect(page).toContain(`\`\`\`json\n${tree.read(MEMBER_ACCOUNT_POLICY, 'utf-8')!.trim()}\n\`\`\``);
    expect(page).toMatch(/\| `caching-agents` .*`DescribeLaunchTemplateVersions`, `DescribeNatGateways`;/);
    expect(printed).toEqual(
      expect.arrayContaining([
        "IAM: every cached account's role needs ec2:DescribeNatGateways.",
        '  Added to docs/aws/iam/member-account-policy.json and docs/aws-setup.md; update the deployed role policy.',
        'Watch it run: npm start. With no account configured it runs against the demo estate, a simulated AWS',
        "  account that answers DescribeNatGateways with an empty list: the agent's runs succeed with nothing to cache.",
        '  curl -H "Authorization: Bearer <admin token>" \'http://localhost:8090/admin/agents?kind=NatGatewayCachingAgent\'',
        "  curl 'http://localhost:8090/resources/natGateways'",
      ]),
    );
  });

  it('says which names the AWS SDK knows when the command or a field is wrong', async () => {
    await expect(
      cachingAgentGenerator(tree, { name: 'NatGateway', command: 'DescribeNatGateway' }),
    ).rejects.toThrow(
      'DescribeNatGateway is not an EC2 command of the installed @aws-sdk/client-ec2 (similar: ',
    );
    await expect(
      cachingAgentGenerator(tree, { name: 'ElasticIp', command: 'DescribeAddresses' }),
    ).rejects.toThrow(
      "DescribeAddresses's output has no field ElasticIps (its list fields: Addresses); pass --listField",
    );
    await expect(
      cachingAgentGenerator(tree, {
        name: 'ElasticIp',
        command: 'DescribeAddresses',
        listField: 'Addresses',
      }),
    ).rejects.toThrow("the items of DescribeAddresses's Addresses have no field ElasticIpId (candidates: ");
    expect(tree.exists(`${AGENTS}/elastic-ip`)).toBe(false);
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
});

/** The `npx nx g ...caching-agent` lines of the README's "How to add a caching agent" section. */
function documentedExamples(): string[][] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf-8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('How to add a caching agent'))!;
  return [...section.matchAll(/^npx nx g (@event-cache\/nx-plugin:caching-agent .*?)\s*(?:#.*)?$/gm)].map(
    (m) => m[1].split(/\s+/),
  );
}

describe('every documented example, generated by the CLI into a copy of the workspace', () => {
  const examples = documentedExamples();
  let copy: string;
  const run = (command: string, args: string[]) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NX_DAEMON: 'false',
      NX_NO_CLOUD: 'true',
      CI: 'true',
      FORCE_COLOR: '0',
    };
    delete env.JEST_WORKER_ID;
    const result = spawnSync(command, args, { cwd: copy, env, encoding: 'utf-8', maxBuffer: 64 << 20 });
    // eslint-disable-next-line no-control-regex
    const output = `${result.stdout}\n${result.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
    return { status: result.status, output };
  };
  const bin = (path: string) => join(ROOT, 'node_modules', path);

  beforeAll(() => {
    copy = mkdtempSync(join(tmpdir(), 'caching-agent-examples-'));
    const skipped = new Set(['node_modules', '.git', '.nx', 'dist', '.data', 'coverage', 'tmp']);
    cpSync(ROOT, copy, {
      recursive: true,
      filter: (source) => !skipped.has(source.slice(ROOT.length + 1).split('/')[0]),
    });
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  });

  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('are documented: paged and unpaged commands, renamed fields, page size, no refresher', () => {
    expect(examples.map((args) => args[1])).toEqual(['NatGateway', 'ElasticIp', 'KeyPair', 'RouteTable']);
  });

  it('pass the type check, lint, format check, their own tests and the AWS docs drift spec', () => {
    const generated: string[] = [];
    for (const args of examples) {
      const result = run(process.execPath, [bin('.bin/nx'), 'g', ...args, '--no-interactive']);
      expect({ args, status: result.status, output: result.output }).toEqual({
        args,
        status: 0,
        output: expect.stringContaining('IAM: every cached account'),
      });
      generated.push(...[...result.output.matchAll(/^(?:CREATE|UPDATE) (\S+)$/gm)].map((m) => m[1]));
    }
    const files = [...new Set(generated)];
    const sources = files.filter((f) => f.endsWith('.ts'));
    const specs = sources.filter((f) => f.endsWith('.agent.spec.ts'));
    expect(specs).toHaveLength(examples.length);
    expect(files).toEqual(expect.arrayContaining([REGISTRY, MEMBER_ACCOUNT_POLICY, AWS_SETUP_PAGE]));

    const checks = {
      typecheck: run(process.execPath, [bin('.bin/tsc'), '-p', 'tsconfig.json', '--noEmit']),
      lint: run(process.execPath, [bin('.bin/eslint'), '--max-warnings', '0', ...sources]),
      format: run(process.execPath, [bin('.bin/prettier'), '--check', ...files]),
      test: run(process.execPath, [
        bin('.bin/jest'),
        '--ci',
        '--selectProjects',
        'unit',
        '--runTestsByPath',
        ...specs,
        'tools/docs/aws-docs.spec.ts',
        'apps/caching-agents/src/agents/agent-features.spec.ts',
      ]),
    };
    for (const [check, { status, output }] of Object.entries(checks)) {
      // The output only when the check failed, to say why.
      expect({ check, status, output: status === 0 ? '' : output }).toEqual({ check, status: 0, output: '' });
    }
    expect(checks.test.output).toMatch(/Test Suites: \d+ passed, \d+ total/);
  }, 900_000);
});
