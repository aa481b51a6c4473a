module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'langgraph-agent',
};
