// One Jest run for the whole workspace: unit specs need nothing; integration and e2e specs share
// one PostgreSQL server started by the global setup (embedded, or DATABASE_URL when set).
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
    `^${alias.replace('/', '\\/')}$`,
    `<rootDir>/${target}`,
  ]),
);

// ES-module-only packages (no CommonJS build) loaded by code under test: @kubernetes/client-node 1.x
// and its OIDC dependencies. Node.js 20.19+ and 22.12+ require() them natively; Jest's module loader cannot,
// so Jest compiles them to CommonJS with SWC; every other package in node_modules stays untransformed.
const ESM_ONLY_PACKAGES = ['@kubernetes/client-node', 'openid-client', 'oauth4webapi', 'jose'];

const transform = {
  '^.+\\.js$': [
    '@swc/jest',
    { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } },
  ],
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
        target: 'es2022',
        keepClassNames: true,
      },
      module: { type: 'commonjs', ignoreDynamic: true },
    },
  ],
};

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform,
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY_PACKAGES.join('|')})/)`],
  moduleNameMapper,
  moduleFileExtensions: ['ts', 'js', 'json'],
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
};

module.exports = {
  reporters: ['default', '<rootDir>/tools/jest/summary-reporter.cjs'],
  // Two cores: one worker per core; integration files each get their own database.
  maxWorkers: process.env.CI ? 2 : '50%',
  // A global option (ignored inside projects): integration tests start services and race replicas.
  testTimeout: 60_000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs,tools}/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs,tools}/**/*.{int,e2e}-spec.ts'],
      globalSetup: '<rootDir>/tools/jest/global-setup.ts',
      globalTeardown: '<rootDir>/tools/jest/global-teardown.ts',
    },
  ],
};
