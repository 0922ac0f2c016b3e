// Lint policy: typescript-eslint's type-aware rules, so a promise nobody awaits or handles,
// and a value of type any flowing into typed code, are caught before review.
// Formatting is Prettier's job (.prettierrc.json); nothing here is about layout.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tap/', '.run/', 'reports/', 'coverage/', '.stryker-tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.eslint.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // tap queues a subtest itself: `t.test(...)` needs no await.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafePromises: [{ from: 'package', name: 'PromiseWithSubtest', package: '@tapjs/core' }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      // An actor's `self` is read by its handler before spawn returns it: declared with let, assigned once.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Prettier wraps code at 120 columns but not strings or comments: this catches those.
      'max-len': ['error', { code: 120, ignoreUrls: true }],
      // An async function without await is harmless (tap's callbacks are often so); not worth a finding.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // A function a reader takes in at once: the service, its tools and its tests stay under 60 code lines each
    // (nested functions count toward the one around them). Where a longer one is truly clearest, it
    // says why in a comment and turns the rule off for itself alone.
    files: ['src/**/*.ts', 'tools/**/*.ts', 'test/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }] },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The only CommonJS file: tap's coverage map.
    files: ['test/fixtures/coverage-map.js'],
    languageOptions: { globals: { module: 'writable' } },
  },
);
