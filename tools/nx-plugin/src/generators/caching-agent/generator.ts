import { dirname, join, relative } from 'node:path';
import { formatFiles, generateFiles, joinPathFragments, logger, names, type Tree } from '@nx/devkit';
import { Ec2Model, type Ec2Operation } from './ec2-model';
import { addIamAction, type IamDocsChange } from './iam-docs';

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
  /** Page size (MaxResults) of a paged command. */
  pageSize?: number;
  /** Whether the command pages (NextToken). Default: what the installed AWS SDK's model says. */
  paged?: boolean;
  /** Also generate a targeted refresher for the key type (default true). */
  refresher?: boolean;
  /** EC2 filter naming the id, for the refresher (default the kebab-cased idField: `nat-gateway-id`). */
  idFilter?: string;
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
  /** The id's attribute name in the cache (camelCased like every attribute), also the refresh id kind. */
  idAttribute: string;
  keyType: string;
  paged: boolean;
  /** Input member taking the page size (`MaxResults`); absent when the command has none. */
  pageSizeParam?: string;
  pageSize: number;
  /** The targeted refresher's class, when one is generated. */
  refresherClass?: string;
  /** The command input selecting ids (`Filters: [{ Name: 'nat-gateway-id', Values: ids }]`). */
  idInput?: (values: string) => string;
  /** The IAM action the agent needs in each cached account (`ec2:DescribeNatGateways`). */
  iamAction: string;
  /** The registration function, e.g. `natGatewayCachingAgents`. */
  registration: string;
  directory: string;
  registry: string;
}

/**
 * Resolves names and defaults, and checks them against the installed AWS SDK's model: the command
 * exists, the list and id fields are there, whether it pages, how to select ids for the refresher.
 * Without an installed `@aws-sdk/client-ec2` the schema is taken as given (paged unless `paged: false`).
 */
export function normalize(schema: CachingAgentSchema, root = process.cwd()): NormalizedSchema {
  const { className, fileName, propertyName } = names(schema.name.replace(/CachingAgent$/, ''));
  const plural = pluralize(className);
  const command = schema.command ?? `Describe${plural}`;
  const listField = schema.listField ?? plural;
  const idField = schema.idField ?? `${className}Id`;
  const model = Ec2Model.installed(root);
  const operation = model?.operation(command);
  if (model && operation) checkFields(model, operation, listField, idField);

  const detectedPaged = operation?.paged;
  const paged = schema.paged ?? detectedPaged ?? true;
  if (detectedPaged !== undefined && schema.paged !== undefined && schema.paged !== detectedPaged) {
    logger.warn(
      detectedPaged
        ? `${command} pages (the SDK has paginate${command}): with --paged=false the agent reads only the first page`
        : `${command} does not page in the installed AWS SDK: --paged=true sends a NextToken it does not take`,
    );
  }
  const pageSizeParam = paged ? (operation ? operation.pageSizeParam : 'MaxResults') : undefined;
  if (schema.pageSize !== undefined && pageSizeParam === undefined) {
    throw new Error(`${command} takes no page size${paged ? '' : ' (it does not page)'}: drop --pageSize`);
  }

  const idAttribute = camelCaseKey(idField);
  const refresher = schema.refresher ?? true;
  const idInput = refresher ? idSelector(command, operation, idField, schema.idFilter) : undefined;
  return {
    className,
    fileName,
    propertyName,
    kind: `${className}CachingAgent`,
    command,
    listField,
    idField,
    idAttribute,
    keyType: schema.keyType ?? names(plural).propertyName,
    paged,
    ...(pageSizeParam ? { pageSizeParam } : {}),
    pageSize: schema.pageSize ?? 1_000,
    ...(refresher ? { refresherClass: `${className}Refresher`, idInput } : {}),
    iamAction: `ec2:${command}`,
    registration: `${propertyName}CachingAgents`,
    directory: schema.directory ?? 'apps/caching-agents/src/agents',
    registry: schema.registry ?? 'apps/caching-agents/src/agents/custom-agents.ts',
  };
}

function checkFields(model: Ec2Model, operation: Ec2Operation, listField: string, idField: string): void {
  const item = model.itemMembers(operation, listField);
  const type = item.get(idField);
  if (type !== 'string') {
    const ids = [...item]
      .filter(([name, t]) => t === 'string' && /Id$|Arn$|Name$/.test(name))
      .map(([n]) => n);
    throw new Error(
      type === undefined
        ? `the items of ${operation.command}'s ${listField} have no field ${idField} (candidates: ${ids.join(', ') || 'none'}); pass --idField`
        : `${listField}[].${idField} is a ${type}, not a string id; pass --idField`,
    );
  }
}

/** How the refresher asks for specific ids: an EC2 filter (never fails on unknown ids), else the ids parameter. */
function idSelector(
  command: string,
  operation: Ec2Operation | undefined,
  idField: string,
  idFilter: string | undefined,
): (values: string) => string {
  const filterName = idFilter ?? names(idField).fileName;
  const filtersParam = operation ? ['Filters', 'Filter'].find((p) => operation.input.has(p)) : 'Filters';
  if (filtersParam) return (values) => `${filtersParam}: [{ Name: '${filterName}', Values: ${values} }]`;
  const idsParam = `${idField}s`;
  if (operation?.input.get(idsParam) === 'string[]') return (values) => `${idsParam}: ${values}`;
  throw new Error(
    `${command} takes neither Filters nor ${idsParam}: the refresher cannot select ids; pass --refresher=false`,
  );
}

/**
 * `nx g @event-cache/nx-plugin:caching-agent <Name>`: an agent class that reads one EC2 Describe
 * call (all pages when it pages), a targeted refresher for its key type, their spec with
 * aws-sdk-client-mock, their line in the app's registry, and the IAM action in the policy docs.
 */
export async function cachingAgentGenerator(tree: Tree, schema: CachingAgentSchema): Promise<void> {
  const options = normalize(schema, tree.root);
  const folder = joinPathFragments(options.directory, options.fileName);
  if (tree.exists(folder)) throw new Error(`${folder} already exists`);
  if (!tree.exists(options.registry)) throw new Error(`the registry ${options.registry} does not exist`);
  generateFiles(tree, join(__dirname, 'files'), options.directory, {
    ...options,
    refresherClass: options.refresherClass ?? '',
    pageSizeParam: options.pageSizeParam ?? '',
    tmpl: '',
  });
  register(tree, options, joinPathFragments(folder, `${options.fileName}.agent`));
  const iam = addIamAction(tree, options.iamAction);
  if (!schema.skipFormat) await formatFiles(tree);
  report(options, iam);
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

/** What the developer must know next: the IAM action, and how to watch the agent run. */
function report(options: NormalizedSchema, iam: IamDocsChange): void {
  const lines = [
    `${options.kind} calls EC2 ${options.command} (${options.paged ? 'all pages' : 'one call: it does not page'}).`,
    `IAM: every cached account's role needs ${options.iamAction}.`,
    iam.updated.length > 0
      ? `  Added to ${iam.updated.join(' and ')}; update the deployed role policy.`
      : `  ${iam.reason}: add it to the role policy by hand.`,
    options.refresherClass
      ? `${options.refresherClass} re-reads ${options.keyType} by ${options.idAttribute} in batches of 200 (refresh requests of type ${options.keyType}).`
      : `No targeted refresher: ${options.keyType} are read by full runs only.`,
    `Watch it run: npm start. With no account configured it runs against the demo estate, a simulated AWS`,
    `  account that answers ${options.command} with an empty list: the agent's runs succeed with nothing to cache.`,
    `  With the admin token npm start prints (or ADMIN_TOKEN):`,
    `  curl -H "Authorization: Bearer <admin token>" 'http://localhost:8090/admin/agents?kind=${options.kind}'`,
    `  curl http://localhost:8090/cache/introspection   # last run, additions, evictions, error of each agent`,
    `  curl 'http://localhost:8090/resources/${options.keyType}'`,
  ];
  for (const line of lines) logger.info(line);
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
