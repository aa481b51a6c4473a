import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workspaceRoot } from '@nx/devkit';
import nx, { loadWorkspaceRules } from '@nx/eslint-plugin';

/**
 * Who may import whom: DESIGN.md's dependency table, encoded as Nx tags.
 * Every project carries `scope:<name>` plus one kind tag (`type:lib`, `type:app`, `type:tool`);
 * the core packages also carry `layer:core`. The fixture test in tools/ssot lints a small
 * workspace with exactly these rules, so a change here is proven there.
 */
export const depConstraints = [
  // types: nothing of ours
  { sourceTag: 'scope:types', onlyDependOnLibsWithTags: [] },
  // config and protocols: types only
  { sourceTag: 'scope:config', onlyDependOnLibsWithTags: ['scope:types'] },
  { sourceTag: 'scope:protocols', onlyDependOnLibsWithTags: ['scope:types'] },
  // manager, router, execution-tracker, backplane-redis: protocols, types, config, never each other
  { sourceTag: 'layer:core', onlyDependOnLibsWithTags: ['scope:protocols', 'scope:types', 'scope:config'] },
  // the client: the wire's types (browser-safe: it imports them as types only)
  { sourceTag: 'scope:client', onlyDependOnLibsWithTags: ['scope:protocols', 'scope:types'] },
  // the client's React bindings and AG-UI adapter: the client (and the wire's types)
  { sourceTag: 'scope:react', onlyDependOnLibsWithTags: ['scope:client', 'scope:protocols', 'scope:types'] },
  { sourceTag: 'scope:ag-ui', onlyDependOnLibsWithTags: ['scope:client', 'scope:protocols', 'scope:types'] },
  // the server: the composition root, over every server-side package (never the client side)
  { sourceTag: 'scope:server', onlyDependOnLibsWithTags: ['layer:core', 'scope:protocols', 'scope:types', 'scope:config'] },
  // the gateway: any package's public entry
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
  // tools: any package's public entry
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:tool'] },
  // the examples: standalone agent servers, no agentwire package (they speak AG-UI over HTTP)
  { sourceTag: 'type:example', onlyDependOnLibsWithTags: [] },
  // nothing depends on an app or a tool from a library
  { sourceTag: 'type:lib', notDependOnLibsWithTags: ['type:app', 'type:tool'] },
];

/** Import rules shared by the real lint and the boundary fixture test. */
export const boundaryRules = {
  '@nx/enforce-module-boundaries': [
    'error',
    {
      enforceBuildableLibDependency: true,
      // project config files extend the root ones; nothing else may leave its package
      allow: ['^.*/eslint\\.config\\.mjs$', '^.*/jest\\.preset\\.cjs$'],
      depConstraints,
    },
  ],
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        {
          regex: '^@agentwirejs/[^/]+/(src|dist)(/|$)',
          message: 'Deep import into a package: import its public entry (@agentwirejs/<name>) instead.',
        },
        {
          regex: '^@agentwirejs/[^/]+/(?!testing$|src(/|$)|dist(/|$))[^/]',
          message: 'Only a package entry (@agentwirejs/<name>) or its ./testing entry may be imported.',
        },
      ],
    },
  ],
};

/**
 * The SSOT rules of tools/ssot (canonical definitions, forbidden imports, factory-only classes,
 * module singletons, hard-coded config), loaded from their TypeScript sources so lint needs no
 * build. Each rule reads ssot.config.json, the one registry of canonical concepts, and decides
 * itself which files it applies to (tests, the owner package, the config package). Loaded only
 * when this file is the config of the workspace being linted: the boundary fixture test imports
 * `boundaryRules` from here inside a throw-away workspace.
 */
const ownWorkspace = resolve(fileURLToPath(new URL('.', import.meta.url))) === resolve(workspaceRoot);
export const ssotRules = ownWorkspace ? await loadWorkspaceRules('tools/ssot/src/eslint') : {};
/** Named here, not taken from ssotRules, so lint fails loudly ("could not find rule") if they did not load. */
const ssotRuleSettings = {
  'ssot/canonical-definitions': 'error',
  'ssot/forbidden-imports': 'error',
  'ssot/factory-only': 'error',
  'ssot/no-module-singletons': 'error',
  'ssot/no-hardcoded-config': 'error',
};

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    ignores: [
      '**/dist',
      '**/out-tsc',
      '**/coverage',
      '**/node_modules',
      '.test-results/**',
      'tools/ssot/fixtures/**',
      'tools/bench/results/**',
    ],
  },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs', '**/*.cjs'],
    rules: boundaryRules,
  },
  {
    // every file kind a package's code comes in, as the checker scans them
    files: ['**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}'],
    plugins: { ssot: { rules: ssotRules } },
    rules: ssotRuleSettings,
  },
  {
    files: ['**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      // a leading underscore marks a parameter that is there for the signature only
      '@typescript-eslint/no-unused-vars': ['warn', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // test doubles may have empty bodies
    files: ['**/*.spec.ts'],
    rules: { '@typescript-eslint/no-empty-function': 'off' },
  },
  {
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
];
