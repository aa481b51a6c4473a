// Run in a package folder after its two builds: dist/esm holds ES modules and dist/cjs CommonJS;
// a package.json in each says so to Node.
// The sources import siblings without an extension (what every TypeScript and jest setup in the
// workspace resolves); Node's ES module loader needs the file name, so dist/esm's relative
// specifiers get their `.js` here, in the code and in the declarations.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const packageDir = pathToFileURL(`${process.cwd()}/`);

const esm = new URL('dist/esm/', packageDir);
const relativeSpecifier = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*?)(?<!\.js)\2/g;
for (const name of readdirSync(esm, { recursive: true })) {
  if (!/\.(js|d\.ts)$/.test(String(name))) continue;
  const file = new URL(String(name), esm);
  const text = readFileSync(file, 'utf8');
  const marked = text.replace(relativeSpecifier, (_match, keyword, quote, specifier) => `${keyword}${quote}${specifier}.js${quote}`);
  if (marked !== text) writeFileSync(file, marked);
}
writeFileSync(new URL('package.json', esm), '{"type":"module"}\n');
writeFileSync(new URL('dist/cjs/package.json', packageDir), '{"type":"commonjs"}\n');
