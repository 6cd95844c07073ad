/** Unit tests (*.test.ts) and integration tests (*.int.test.ts) share one config; run TypeScript through SWC (types are checked by `npm run typecheck`). */
const swc = [
  '@swc/jest',
  { jsc: { parser: { syntax: 'typescript' }, target: 'es2024' }, module: { type: 'es6' } },
];

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  testMatch: ['<rootDir>/**/*.test.ts'],
  // XC_UNIT_ONLY=1 (npm run test:unit) leaves out the integration suites, which need Postgres and Redis.
  testPathIgnorePatterns: [
    '/node_modules/',
    '/dist/',
    ...(process.env.XC_UNIT_ONLY ? ['\\.int\\.test\\.ts$'] : []),
  ],
  globalSetup: '<rootDir>/tests/services/jest-global-setup.ts',
  testTimeout: 30000,
};
