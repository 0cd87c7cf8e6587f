/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Browser tests need Chromium: `npm run test:browser` (jest.browser.config.js) runs them.
  testPathIgnorePatterns: ['/node_modules/', '\\.browser\\.test\\.ts$'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: true }] },
  testTimeout: 30000,
  maxWorkers: 2,
  // The local host serves @azure/functions-core to the app under jest (the worker's require hook does in node).
  moduleNameMapper: { '^@azure/functions-core$': '<rootDir>/local/host/functionsCore.ts' },
};
