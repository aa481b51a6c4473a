// gateway:test-npm-start, the one spec that runs `npm start` (see its header for why it runs alone).
// Its own displayName names its own .test-results file, so npm test counts its tests apart.
const gateway = require('./jest.config.cjs');

module.exports = {
  ...gateway,
  displayName: 'gateway-npm-start',
  testMatch: ['<rootDir>/src/e2e/npm-start.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
};
