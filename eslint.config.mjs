// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Everything an orchestrator must not touch: it is replayed, so it must be deterministic. */
const orchestrationFence = {
  files: ['src/core/orchestration/**/*.ts'],
  rules: {
    'no-restricted-globals': [
      'error',
      { name: 'fetch', message: 'Orchestrators do no I/O: call an activity.' },
      { name: 'setTimeout', message: 'Orchestrators use context.df.createTimer.' },
      { name: 'setInterval', message: 'Orchestrators use context.df.createTimer.' },
      { name: 'process', message: 'Orchestrators read no environment: pass it in the input.' },
      { name: 'crypto', message: 'Orchestrators use context.df.newGuid().' },
    ],
    'no-restricted-syntax': [
      'error',
      {
        selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
        message: 'Orchestrators use context.df.currentUtcDateTime, never Date.now().',
      },
      {
        selector: "NewExpression[callee.name='Date'][arguments.length=0]",
        message: 'Orchestrators use context.df.currentUtcDateTime, never new Date().',
      },
      {
        selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
        message: 'Orchestrators use context.df.newGuid(), never Math.random().',
      },
      { selector: 'AwaitExpression', message: 'Orchestrators yield Durable tasks; they never await.' },
    ],
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          { group: ['@azure/*'], message: 'No SDKs in orchestrators: call an activity.' },
          {
            group: ['node:*', 'fs', 'http', 'https', 'net', 'child_process', 'crypto', 'os'],
            message: 'No I/O in orchestrators.',
          },
          {
            group: ['**/adapters/**', '**/composition*'],
            message: 'Orchestrators reach the world only through activities.',
          },
        ],
      },
    ],
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.local-data*/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  orchestrationFence,
);
