import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const json = (file: string) => JSON.parse(readFileSync(join(root, file), 'utf8')) as Record<string, never>;

describe('the SWC build (dist/, what npm start and the benchmarks run)', () => {
  it('resolves every @event-cache alias the type checker knows, to the same file', () => {
    const typeChecker = (json('tsconfig.base.json').compilerOptions as { paths: Record<string, string[]> })
      .paths;
    const build = (json('.swcrc').jsc as { paths: Record<string, string[]> }).paths;

    expect(build).toEqual(typeChecker);
  });
});
