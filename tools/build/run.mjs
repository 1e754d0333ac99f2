// Builds the workspace, then runs one TypeScript entry point from dist/:
//   node tools/build/run.mjs libs/cache-store/src/migrate.cli.ts [args...]
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from './build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const [entry, ...args] = process.argv.slice(2);
if (!entry || !entry.endsWith('.ts')) {
  console.error('usage: node tools/build/run.mjs <path/to/file.ts> [args...]');
  process.exit(2);
}
build({ quiet: true });
const child = spawn(
  process.execPath,
  ['--enable-source-maps', join(root, 'dist', entry.replace(/\.ts$/, '.js')), ...args],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
