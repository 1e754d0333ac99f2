import { dirname, join, relative } from 'node:path';
import { formatFiles, generateFiles, joinPathFragments, names, type Tree } from '@nx/devkit';

export interface CachingAgentSchema {
  /** The resource, singular: `NatGateway` or `nat-gateway`. */
  name: string;
  /** EC2 Describe command without `Command` (default `Describe<Name>s`). */
  command?: string;
  /** Output field listing the resources (default `<Name>s`). */
  listField?: string;
  /** Resource field identifying it (default `<Name>Id`). */
  idField?: string;
  /** Cache key type (default the camelCased plural). */
  keyType?: string;
  pageSize?: number;
  directory?: string;
  registry?: string;
  skipFormat?: boolean;
}

/** Where the registration line goes: right above this comment in the registry. */
export const REGISTRATION_MARKER = 'caching-agent registrations';

export interface NormalizedSchema {
  className: string;
  fileName: string;
  propertyName: string;
  kind: string;
  command: string;
  listField: string;
  idField: string;
  /** The id's attribute name in the cache (camelCased like every attribute). */
  idAttribute: string;
  keyType: string;
  pageSize: number;
  /** The registration function, e.g. `natGatewayCachingAgents`. */
  registration: string;
  directory: string;
  registry: string;
}

export function normalize(schema: CachingAgentSchema): NormalizedSchema {
  const { className, fileName, propertyName } = names(schema.name.replace(/CachingAgent$/, ''));
  const plural = pluralize(className);
  const idField = schema.idField ?? `${className}Id`;
  return {
    className,
    fileName,
    propertyName,
    kind: `${className}CachingAgent`,
    command: schema.command ?? `Describe${plural}`,
    listField: schema.listField ?? plural,
    idField,
    idAttribute: camelCaseKey(idField),
    keyType: schema.keyType ?? names(plural).propertyName,
    pageSize: schema.pageSize ?? 1_000,
    registration: `${propertyName}CachingAgents`,
    directory: schema.directory ?? 'apps/caching-agents/src/agents',
    registry: schema.registry ?? 'apps/caching-agents/src/agents/custom-agents.ts',
  };
}

/**
 * `nx g @event-cache/nx-plugin:caching-agent <Name>`: an agent class that pages through one EC2
 * Describe call, its spec with aws-sdk-client-mock, and its line in the app's registry.
 */
export async function cachingAgentGenerator(tree: Tree, schema: CachingAgentSchema): Promise<void> {
  const options = normalize(schema);
  const folder = joinPathFragments(options.directory, options.fileName);
  if (tree.exists(folder)) throw new Error(`${folder} already exists`);
  if (!tree.exists(options.registry)) throw new Error(`the registry ${options.registry} does not exist`);
  generateFiles(tree, join(__dirname, 'files'), options.directory, { ...options, tmpl: '' });
  register(tree, options, joinPathFragments(folder, `${options.fileName}.agent`));
  if (!schema.skipFormat) await formatFiles(tree);
}

export default cachingAgentGenerator;

function register(tree: Tree, options: NormalizedSchema, agentModule: string): void {
  const source = tree.read(options.registry, 'utf-8') ?? '';
  const lines = source.split('\n');
  const marker = lines.findIndex((line) => line.includes(REGISTRATION_MARKER));
  if (marker < 0) throw new Error(`${options.registry} has no "// ${REGISTRATION_MARKER}" line`);
  let specifier = relative(dirname(options.registry), agentModule).split('\\').join('/');
  if (!specifier.startsWith('.')) specifier = `./${specifier}`;
  const indent = /^\s*/.exec(lines[marker])?.[0] ?? '  ';
  lines.splice(marker, 0, `${indent}${options.registration},`);
  const lastImport = lines.reduce((last, line, i) => (/^import\s.*;\s*$/.test(line) ? i : last), -1);
  lines.splice(lastImport + 1, 0, `import { ${options.registration} } from '${specifier}';`);
  tree.write(options.registry, lines.join('\n'));
}

function pluralize(word: string): string {
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(word)) return `${word}es`;
  return `${word}s`;
}

/** `toCacheAttributes`' key rule (`NatGatewayId` -> `natGatewayId`, `VPCId` -> `vpcId`). */
function camelCaseKey(key: string): string {
  const run = /^[A-Z]+/.exec(key)?.[0];
  if (!run) return key;
  if (run.length === key.length) return key.toLowerCase();
  if (run.length === 1) return run.toLowerCase() + key.slice(1);
  return /[a-z]/.test(key[run.length])
    ? run.slice(0, -1).toLowerCase() + run.slice(-1) + key.slice(run.length)
    : run.toLowerCase() + key.slice(run.length);
}
