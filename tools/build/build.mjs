// Compiles apps/, libs/ and tools/ (tests excluded) into dist/ with SWC, keeping the source
// layout and rewriting the @event-cache/* aliases to relative paths. Decorator metadata is kept,
// which NestJS and TypeORM need at run time. `node tools/build/build.mjs [out-dir]` (default dist).
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function build({ quiet = false, outDir = 'dist' } = {}) {
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules', '@swc', 'cli', 'bin', 'swc.js'),
      'apps',
      'libs',
      'tools',
      '-d',
      outDir,
      '--config-file',
      '.swcrc',
      '--ignore',
      '**/*.spec.ts,**/*.int-spec.ts,**/*.e2e-spec.ts,tools/**/files/**',
      ...(quiet ? ['--quiet'] : []),
    ],
    { cwd: root, stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit' },
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) build({ outDir: process.argv[2] });
