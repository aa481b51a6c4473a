module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'execution-tracker',
};
