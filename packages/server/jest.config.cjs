const preset = require('../../jest.preset.cjs');

module.exports = {
  ...preset,
  displayName: 'server',
  // eventsource-parser ships only ES modules; swc turns it into CommonJS for jest as it does our sources.
  transform: { ...preset.transform, '/node_modules/eventsource-parser/.+\\.js$': preset.transform['^.+\\.ts$'] },
  transformIgnorePatterns: ['/node_modules/(?!eventsource-parser/)'],
};
