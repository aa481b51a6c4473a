const preset = require('../../jest.preset.cjs');

module.exports = {
  ...preset,
  displayName: 'gateway',
  // eventsource-parser ships only ES modules; swc turns it into CommonJS for jest as it does our sources.
  transform: { ...preset.transform, '/node_modules/eventsource-parser/.+\\.js$': preset.transform['^.+\\.ts$'] },
  transformIgnorePatterns: ['/node_modules/(?!eventsource-parser/)'],
  // `npm start` rebuilds every package's dist/: its spec runs alone, in gateway:test-npm-start (jest.npm-start.config.cjs)
  testPathIgnorePatterns: ['/node_modules/', '/src/e2e/npm-start\\.spec\\.ts$'],
};
