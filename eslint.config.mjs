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
      // A closure may read a variable assigned right after it is made (a service and the intake that feeds it).
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
    // src/ is the service: it never loads the tools that drive it.
    files: ['src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/tools/**'], message: 'src/ never imports tools/ (they drive the service).' }] },
      ],
    },
  },
  {
    // The HTTP thread answers every request: it never loads the core's drivers, stores, actors or processor
    // client at run time (their types are welcome). test/architecture/ checks the same on the import graph.
    files: ['src/http/**/*.ts', 'src/app.ts', 'src/main.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ['ioredis', 'pg', 'nact', 'undici'].map((name) => ({
            name,
            message: "The HTTP thread never loads the core thread's drivers.",
            allowTypeImports: true,
          })),
          patterns: [
            {
              group: ['**/tools/**'],
              message: 'src/ never imports tools/ (they drive the service).',
            },
            {
              group: [
                '**/store/**',
                '**/actors/**',
                '**/gateway/**',
                '**/cluster/**',
                '**/core/*',
                '!**/core/core-protocol',
              ],
              message: 'The HTTP thread reaches the core through core-protocol.ts (and the worker), not its modules.',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    // An actor's state changes only in the handler of a message: an async outcome comes back as a message
    // (ctx.pipeToSelf, an outcome batch), a timer is the actor's own (ctx.timers). Only the kit schedules.
    files: ['src/actors/**/*.ts'],
    ignores: ['src/actors/kit/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'CallExpression[callee.property.name=/^(then|catch|finally)$/]',
          message: 'An async outcome comes back as a message: ctx.pipeToSelf or an outcome batch, not .then.',
        },
        {
          selector: 'CallExpression[callee.name=/^(setTimeout|setInterval|setImmediate|queueMicrotask)$/]',
          message: "A timer is the actor's own: ctx.timers (keyed, cancelled when the system stops).",
        },
        {
          selector: "CallExpression[callee.object.name='process'][callee.property.name='nextTick']",
          message: "A timer is the actor's own: ctx.timers.",
        },
      ],
    },
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
