// The product's documentation stands alone: every relative link of the READMEs and docs/ (and every
// docs/*.md#section a code comment cites) points at a file of the repository, and at a heading
// that exists in it; nothing refers to documents users of the product do not have.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const SKIPPED = new Set(['node_modules', '.git', '.nx', 'dist', '.data', 'coverage', 'tmp']);

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIPPED.has(entry.name)) return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : [path];
  });
}

const rel = (path: string) => relative(ROOT, path).split(sep).join('/');
const FILES = walk(ROOT);
const MARKDOWN = FILES.filter((f) => f.endsWith('.md'));
const SOURCES = FILES.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  return new Set([...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1])));
}

/** Relative links of a markdown file, outside code blocks: `[text](target)`. */
function linksOf(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1])
    .filter((target) => !/^[a-z]+:/i.test(target));
}

function problem(from: string, target: string): string | undefined {
  const [path, anchor] = target.split('#');
  const resolved = path === '' ? from : join(dirname(from), decodeURIComponent(path));
  if (!existsSync(resolved)) return `${rel(from)}: ${target}: no such file`;
  if (anchor !== undefined && resolved.endsWith('.md') && statSync(resolved).isFile()) {
    if (!anchorsOf(resolved).has(anchor)) return `${rel(from)}: ${target}: no such heading`;
  }
  return undefined;
}

describe('the documentation', () => {
  it('links only to files and headings that exist', () => {
    expect(MARKDOWN.length).toBeGreaterThan(10);
    const broken = MARKDOWN.flatMap((file) => linksOf(file).flatMap((target) => problem(file, target) ?? []));
    expect(broken).toEqual([]);
  });

  it('is cited by code comments with sections that exist', () => {
    const broken = SOURCES.flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      return [...text.matchAll(/\b(docs\/[\w./-]+\.md)((?:#[a-z0-9-]+(?:,\s*)?)+)/g)].flatMap((m) =>
        [...m[2].matchAll(/#([a-z0-9-]+)/g)].flatMap(
          (a) => problem(join(ROOT, 'README.md'), `${m[1]}#${a[1]}`)?.replace('README.md', rel(file)) ?? [],
        ),
      );
    });
    expect(broken).toEqual([]);
  });

  it('refers to no design document outside the repository', () => {
    const cited = [...MARKDOWN, ...SOURCES]
      .filter((file) => !file.endsWith('doc-links.spec.ts'))
      .filter((file) => /\bDESIGN\b/.test(readFileSync(file, 'utf8')))
      .map(rel);
    expect(cited).toEqual([]);
  });

  it('has anchors as GitHub makes them', () => {
    expect(slug('Clouddriver-compatible force refresh')).toBe('clouddriver-compatible-force-refresh');
    expect(slug('SNS over HTTPS')).toBe('sns-over-https');
    expect(slug('6. IAM: what each service calls')).toBe('6-iam-what-each-service-calls');
    expect(slug('`npm start` and `npm test`')).toBe('npm-start-and-npm-test');
  });
});
