// Shared jest settings: swc transpiles TypeScript (type checking is the typecheck target's job),
// and workspace imports resolve to each package's source through tsconfig.base.json's paths.
// The summary reporter is set on the Nx test target (nx.json), where @nx/jest accepts it.
const path = require('node:path');
const { paths } = require('./tsconfig.base.json').compilerOptions;

const moduleNameMapper = {};
for (const [specifier, [target]] of Object.entries(paths)) {
  moduleNameMapper[`^${specifier.replace(/[/.]/g, '\\$&')}$`] = path.join(__dirname, target);
}

module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          target: 'es2022',
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
        },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  setupFilesAfterEnv: [path.join(__dirname, 'tools/scripts/jest-setup.cjs')],
};
