import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/.nx/**',
      '**/.data/**',
      '**/coverage/**',
      'tools/**/files/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-extraneous-class': 'off',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          banTransitiveDependencies: true,
          depConstraints: [
            // Apps wire libs together; nothing imports an app.
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: [
                'type:sdk',
                'type:data-access',
                'type:model',
                'type:util',
                'type:aws',
                'type:projection',
                'type:testing',
              ],
            },
            // The agent SDK declares ports; it never sees the store or the ORM.
            { sourceTag: 'type:sdk', onlyDependOnLibsWithTags: ['type:model', 'type:util', 'type:testing'] },
            // Built-in AWS agents build on the SDK and the model.
            {
              sourceTag: 'type:aws',
              onlyDependOnLibsWithTags: ['type:sdk', 'type:model', 'type:util', 'type:testing'],
            },
            // The store implements ports structurally and knows the model, not the SDK.
            {
              sourceTag: 'type:data-access',
              onlyDependOnLibsWithTags: ['type:model', 'type:util', 'type:testing'],
            },
            // The Clouddriver projection implements the store's port structurally; it knows the model only.
            {
              sourceTag: 'type:projection',
              onlyDependOnLibsWithTags: ['type:model', 'type:util', 'type:testing'],
            },
            // The model (libs/events) is pure: it depends on no other project.
            { sourceTag: 'type:model', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:testing'] },
            // The test harness stands alone: it knows PostgreSQL, not our libs.
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['*'] },
          ],
        },
      ],
    },
  },
  {
    // The model lib stays framework-free: no Nest, no ORM, no AWS SDK.
    files: ['libs/events/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['@nestjs/*', 'typeorm', 'pg', '@aws-sdk/*', 'reflect-metadata', '@event-cache/*'] },
      ],
    },
  },
  {
    // The test harness is for tests only (the tag constraints cannot tell a spec from code);
    // apps/<app>/test/ holds the e2e specs' own support code.
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: [
      '**/*.spec.ts',
      '**/*.int-spec.ts',
      '**/*.e2e-spec.ts',
      'apps/*/test/**',
      'libs/testing/**',
      'libs/events/**',
    ],
    rules: { 'no-restricted-imports': ['error', { paths: ['@event-cache/testing'] }] },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts'],
    rules: {
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { ...globals.node },
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
