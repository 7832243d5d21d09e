// Jest runs TypeScript sources as ESM through ts-jest; cross-process tests use the built dist/ output.
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^@raypher/shared/version$': '<rootDir>/shared/src/version.ts',
    '^@raypher/shared/(.*)$': '<rootDir>/shared/src/$1/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.tests.json' }] },
  testMatch: ['<rootDir>/{shared,supervisor,cli,workers}/**/src/**/*.test.ts', '<rootDir>/tests/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  testTimeout: 60_000,
  // Cross-process tests start real supervisors; one at a time keeps heartbeat timing honest on 2 cores.
  maxWorkers: 1,
  reporters: ['default', '<rootDir>/tests/helpers/summary-reporter.cjs'],
};
