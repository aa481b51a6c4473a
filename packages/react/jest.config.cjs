const preset = require('../../jest.preset.cjs');

const swcTs = preset.transform['^.+\\.ts$'];
/** For .tsx: the preset's swc options with the TSX parser and React's automatic JSX runtime (.ts keeps the plain parser, where `<T>x` is a cast). */
const swcTsx = ['@swc/jest', { ...swcTs[1], jsc: { ...swcTs[1].jsc, parser: { syntax: 'typescript', tsx: true }, transform: { react: { runtime: 'automatic' } } } }];

module.exports = {
  ...preset,
  displayName: 'react',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.spec.tsx'],
  moduleFileExtensions: ['ts', 'tsx', 'js', 'json'],
  transform: { '^.+\\.ts$': swcTs, '^.+\\.tsx$': swcTsx },
};
