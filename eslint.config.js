import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Imports that do I/O or tie code to a transport: the core must never reach them. */
const ioModules = [
  'pg',
  'pg-*',
  'ioredis',
  'fastify',
  '@fastify/*',
  '@kubernetes/client-node',
  'pino',
  'node-pg-migrate',
  'node:net',
  'node:http',
  'node:https',
  'node:fs',
  'node:fs/promises',
  'node:child_process',
  'node:dgram',
  'net',
  'http',
  'https',
  'fs',
  'child_process',
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'console/dist/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // noUncheckedIndexedAccess types every indexed read as possibly undefined; in bounds-checked loops the
      // assertion is the honest idiom.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    files: ['core/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ioModules, message: 'core/ is pure: no I/O, network, storage or transport imports.' },
            {
              group: ['**/operator/**', '**/evaluator/**', '**/db/**'],
              message: 'core/ must not depend on the apps.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: 'core/ reads no environment.' }],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'core/ takes time as an argument.' },
        { object: 'Math', property: 'random', message: 'core/ is deterministic.' },
      ],
    },
  },
);
