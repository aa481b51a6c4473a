module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'backplane-redis',
};
