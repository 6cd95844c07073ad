/**
 * One config for the three tiers, chosen by XC_TIER (unset: all of them):
 * unit (`*.test.ts`, no services), int (`*.int.test.ts`, real Postgres, Redis and API server in process),
 * e2e (`*.e2e.test.ts`, the product started as processes, the way a user runs it).
 * TypeScript runs through SWC; types are checked by `npm run typecheck`.
 */
const swc = [
  '@swc/jest',
  { jsc: { parser: { syntax: 'typescript' }, target: 'es2024' }, module: { type: 'es6' } },
];

const TIERS = {
  unit: { testMatch: ['<rootDir>/**/*.test.ts'], ignore: ['\\.(int|e2e)\\.test\\.ts$'] },
  int: { testMatch: ['<rootDir>/**/*.int.test.ts'], ignore: [] },
  e2e: { testMatch: ['<rootDir>/**/*.e2e.test.ts'], ignore: [] },
  all: { testMatch: ['<rootDir>/**/*.test.ts'], ignore: [] },
};
const tierName = process.env.XC_TIER ?? 'all';
const tier = TIERS[tierName];
if (!tier) throw new Error(`XC_TIER must be one of ${Object.keys(TIERS).join(', ')}; got "${tierName}"`);

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  testMatch: tier.testMatch,
  testPathIgnorePatterns: ['/node_modules/', '/dist/', ...tier.ignore],
  globalSetup: '<rootDir>/tests/services/jest-global-setup.ts',
  testTimeout: 30000,
};
