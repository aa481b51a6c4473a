import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderProtocolJsonSchema } from './json-schema';
import { isProtocolExtensions, type ProtocolExtensions } from './wire/app-types';

// Build step: `node dist/generate-json-schema.js <file>` writes the protocol's JSON Schema.
// An app writes its own document, with the types it added, from the built module that exports its
// defineProtocolExtensions value:
//   node node_modules/@agentwirejs/protocols/dist/generate-json-schema.js app.schema.json dist/protocol-extensions.js [exportName]
const [target, extensionsModule, exportName] = process.argv.slice(2);
if (target === undefined) {
  process.stderr.write('usage: generate-json-schema <output file> [<extensions module> [<export name>]]\n');
  process.exit(2);
}

/** The export named `name`, else the module's only value made by defineProtocolExtensions. */
async function loadExtensions(module: string, name: string | undefined): Promise<ProtocolExtensions> {
  const exports = (await import(pathToFileURL(resolve(module)).href)) as Record<string, unknown>;
  const candidates = name === undefined ? Object.values(exports).filter(isProtocolExtensions) : [exports[name]];
  const [extensions] = candidates;
  if (candidates.length !== 1 || !isProtocolExtensions(extensions)) {
    throw new Error(
      name === undefined
        ? `${module} must export exactly one value made by defineProtocolExtensions (found ${candidates.length}); name the export to use`
        : `${module} has no export ${name} made by defineProtocolExtensions`,
    );
  }
  return extensions;
}

async function main(output: string): Promise<void> {
  const extensions = extensionsModule === undefined ? undefined : await loadExtensions(extensionsModule, exportName);
  writeFileSync(output, renderProtocolJsonSchema(extensions));
  process.stdout.write(`wrote ${output}\n`);
}

main(target).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
