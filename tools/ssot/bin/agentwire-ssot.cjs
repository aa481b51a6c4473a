#!/usr/bin/env node
// The installed `agentwire-ssot` command: it runs the built CLI in dist/. It is a committed file
// rather than dist/cli/main.js itself because npm links a workspace bin only when its target
// exists at install time, and a fresh clone has no dist/ until the first build.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!existsSync(cli)) {
  process.stderr.write(`agentwire-ssot: ${cli} is not built yet; run \`npx nx run ssot:build\` (or npm test) first\n`);
  process.exit(2);
}
require(cli);
