import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * What the installed `@aws-sdk/client-ec2` says about one Describe operation, read from its type
 * declarations (`dist-types`): whether it pages, the members of its input and output, and the
 * members of the items its output lists. The generator decides from this, not from guesses.
 */
export interface Ec2Operation {
  command: string;
  /** The SDK ships `paginate<Command>`: the operation pages with NextToken. */
  paged: boolean;
  /** Input member taking the page size (`MaxResults`), when there is one. */
  pageSizeParam?: string;
  input: ReadonlyMap<string, string>;
  output: ReadonlyMap<string, string>;
}

/** Member name -> its declared type, `| undefined` removed (`Addresses` -> `Address[]`). */
type Members = ReadonlyMap<string, string>;

export class Ec2Model {
  private models?: string;

  private constructor(private readonly typesDir: string) {}

  /**
   * The model of the `@aws-sdk/client-ec2` the workspace at `root` resolves (else the one next to
   * this plugin), or undefined when none is installed.
   */
  static installed(root: string): Ec2Model | undefined {
    let pkg: string;
    try {
      pkg = require.resolve('@aws-sdk/client-ec2/package.json', { paths: [root, __dirname] });
    } catch {
      return undefined;
    }
    const typesDir = join(dirname(pkg), 'dist-types');
    return existsSync(join(typesDir, 'commands')) ? new Ec2Model(typesDir) : undefined;
  }

  operation(command: string): Ec2Operation {
    if (!existsSync(join(this.typesDir, 'commands', `${command}Command.d.ts`))) {
      const similar = readdirSync(join(this.typesDir, 'commands'))
        .map((f) => f.replace(/Command\.d\.ts$/, ''))
        .filter((c) =>
          c.toLowerCase().includes(
            command
              .replace(/^Describe/, '')
              .toLowerCase()
              .slice(0, 6),
          ),
        )
        .slice(0, 5);
      throw new Error(
        `${command} is not an EC2 command of the installed @aws-sdk/client-ec2` +
          (similar.length > 0 ? ` (similar: ${similar.join(', ')})` : ''),
      );
    }
    const input = this.members(`${command}Request`);
    const output = this.members(`${command}Result`);
    const paged = existsSync(join(this.typesDir, 'pagination', `${command}Paginator.d.ts`));
    const pageSizeParam = ['MaxResults', 'MaxRecords'].find((m) => input.has(m));
    return { command, paged, ...(pageSizeParam ? { pageSizeParam } : {}), input, output };
  }

  /** The members of the items an output field lists (`Addresses` -> the members of `Address`). */
  itemMembers(operation: Ec2Operation, listField: string): Members {
    const type = operation.output.get(listField);
    const arrays = [...operation.output].filter(([, t]) => /^\w+\[\]$/.test(t)).map(([name]) => name);
    if (type === undefined) {
      throw new Error(
        `${operation.command}'s output has no field ${listField} (its list fields: ${arrays.join(', ') || 'none'}); pass --listField`,
      );
    }
    const element = /^(\w+)\[\]$/.exec(type)?.[1];
    if (element === undefined) {
      throw new Error(`${operation.command}'s ${listField} is a ${type}, not a list; pass --listField`);
    }
    return this.members(element);
  }

  /** Members of an exported interface of the model, or an empty map when it is not found. */
  members(name: string): Members {
    this.models ??= readdirSync(join(this.typesDir, 'models'))
      .filter((f) => f.endsWith('.d.ts'))
      .map((f) => readFileSync(join(this.typesDir, 'models', f), 'utf8'))
      .join('\n');
    const start = this.models.indexOf(`export interface ${name} {`);
    if (start < 0) return new Map();
    const end = this.models.indexOf('\n}', start);
    const body = this.models.slice(start, end);
    const members = new Map<string, string>();
    for (const m of body.matchAll(/^ {4}(\w+)\??: (.+);$/gm)) {
      members.set(m[1], m[2].replace(/ \| undefined$/, ''));
    }
    return members;
  }
}
