const preset = require('../../jest.preset.cjs');

module.exports = {
  ...preset,
  displayName: 'ag-ui',
};
