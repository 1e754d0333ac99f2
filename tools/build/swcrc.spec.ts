import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const json = (file: string): unknown => JSON.parse(readFileSync(join(root, file), 'utf8'));

describe('the SWC build (npm start, npm run build, the images)', () => {
  it('rewrites every @event-cache/* alias the type checker knows: a missing one fails only at run time', () => {
    const tsconfig = json('tsconfig.base.json') as { compilerOptions: { paths: Record<string, string[]> } };
    const swcrc = json('.swcrc') as { jsc: { paths: Record<string, string[]> } };
    expect(swcrc.jsc.paths).toEqual(tsconfig.compilerOptions.paths);
  });
});
