// Entry point of the workspace's Nx plugin. Nx loads TypeScript plugins only through
// @swc-node/register or ts-node (neither is a dependency here) or Node's type stripping (Node >= 22.6),
// so this file compiles the plugin's own .ts sources with the workspace's SWC on require.
const { readFileSync } = require('node:fs');
const { join, sep } = require('node:path');

const root = join(__dirname, 'src') + sep;
const previous = require.extensions['.ts'];
require.extensions['.ts'] = function compileTs(module, filename) {
  if (!filename.startsWith(root) && previous) return previous(module, filename);
  const { transformSync } = require('@swc/core');
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};

module.exports = require('./src/generators/caching-agent/generator.ts');
