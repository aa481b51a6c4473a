// The spec sits beside agent.py (no src/ here: the example is the Python file).
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'python-agent',
  testMatch: ['<rootDir>/*.spec.ts'],
};
