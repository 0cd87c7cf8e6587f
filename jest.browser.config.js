/**
 * The browser tests (`npm run test:browser`): they need Chromium (Debian's chromium, or CHROMIUM_PATH), which a
 * machine with only Node and npm lacks, so `npm test` leaves them out and `.ci/run` installs chromium and runs them.
 * @type {import('jest').Config}
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  testMatch: ['**/*.browser.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
};
