import { writeFileSync } from 'node:fs';
import { renderProtocolJsonSchema } from './json-schema';

// Build step: `node dist/generate-json-schema.js <file>` writes the protocol's JSON Schema.
const target = process.argv[2];
if (target === undefined) {
  process.stderr.write('usage: generate-json-schema <output file>\n');
  process.exit(2);
}
writeFileSync(target, renderProtocolJsonSchema());
process.stdout.write(`wrote ${target}\n`);
