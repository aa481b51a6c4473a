// Writes a synthetic TypeScript workspace for benchmarking `agentwire-ssot check`: packages of
// realistic modules (imports across packages, interfaces, classes, functions, string tables),
// with a known sprinkling of SSOT violations. Usable as a module (generateWorkspace) or a command:
//   node tools/ssot/scripts/generate-workspace.mjs <dir> [--files 5000] [--files-per-package 50]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const rootRegistry = new URL('../../../ssot.config.json', import.meta.url).pathname;

/**
 * Every VIOLATION_EVERY-th module carries one of these in turn, so the checker has findings to
 * report; names are made unique per package (…PKG007) so only these are violations.
 */
const VIOLATION_EVERY = 25;
const VIOLATIONS = [
  (p) => `export const LEGACY_API = 'http://localhost:8000/${p}';`,
  () => `import { UnifiedWebSocketManager } from '@agentwirejs/manager';\nexport const direct = () => new UnifiedWebSocketManager();`,
  () => `class Holder { value = 1 }\nlet holder: Holder | undefined;\nexport function getHolder(): Holder { holder ??= new Holder(); return holder; }`,
  () => `export interface ConnectionInfo { id: string }`,
  (p) => `import { Entry0 } from '@bench/${p}/src/index';\nexport const deep = Entry0;`,
];

function moduleSource(pkg, index, filesPerPackage, packages, serial) {
  const other = `pkg${String((Number(pkg.slice(3)) + 1) % packages).padStart(3, '0')}`;
  const previous = index === 0 ? null : `module-${String(index - 1).padStart(4, '0')}`;
  const lines = [
    `import { z } from 'zod';`,
    `import type { Entry0 } from '@bench/${other}';`,
    previous === null ? '' : `import { Widget${index - 1}, type Shape${index - 1} } from './${previous}';`,
    '',
    `/** Module ${index} of ${pkg}: a little of everything a real module has. */`,
    `export interface Shape${index} {`,
    `  kind: '${pkg}/${index}';`,
    `  id: string;`,
    `  createdAt: number;`,
    `  tags: readonly string[];`,
    `  owner${index}: Entry0 | null;`,
    `  describe(verbose: boolean): string;`,
    `}`,
    '',
    `export const Shape${index}Schema = z.object({ id: z.string(), createdAt: z.number(), tags: z.array(z.string()) });`,
    '',
    `const LABELS${index} = new Map<string, string>([['open', 'Open'], ['closed', 'Closed'], ['failed', 'Failed']]);`,
    '',
    `export class Widget${index} {`,
    `  private readonly items = new Map<string, Shape${index}>();`,
    `  private count = 0;`,
    '',
    `  add(shape: Shape${index}): number {`,
    `    this.items.set(shape.id, shape);`,
    `    this.count += 1;`,
    `    return this.count;`,
    `  }`,
    '',
    `  label(state: string): string {`,
    `    return LABELS${index}.get(state) ?? \`unknown state \${state}\`;`,
    `  }`,
    '',
    `  find(id: string): Shape${index} | undefined {`,
    `    return this.items.get(id);`,
    `  }`,
    `}`,
    '',
    `export function summarize${index}(shapes: readonly Shape${index}[]): string {`,
    `  const ids = shapes.map((shape) => shape.id).join(', ');`,
    `  return \`\${shapes.length} shapes in ${pkg}: \${ids}\`;`,
    `}`,
  ];
  if (previous !== null) lines.push('', `export type Chain${index} = Shape${index - 1} & { next: Widget${index - 1} };`);
  if (serial % VIOLATION_EVERY === VIOLATION_EVERY - 1) {
    const make = VIOLATIONS[Math.floor(serial / VIOLATION_EVERY) % VIOLATIONS.length];
    lines.push('', make(pkg));
  }
  if (index === filesPerPackage - 1) lines.push('', `export const last = ${index};`);
  return `${lines.filter((line, i) => line !== '' || lines[i - 1] !== '').join('\n')}\n`;
}

/** Writes the workspace; returns the number of TypeScript files written. */
export function generateWorkspace(dir, { files = 5000, filesPerPackage = 50 } = {}) {
  const packages = Math.ceil(files / filesPerPackage);
  let written = 0;
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'ssot.config.json'),
    JSON.stringify({ version: 1, extends: rootRegistry, workspace: { projects: ['packages/*'], testFiles: ['**/*.spec.ts'] } }, null, 2),
  );
  for (let p = 0; p < packages && written < files; p += 1) {
    const pkg = `pkg${String(p).padStart(3, '0')}`;
    const src = join(dir, 'packages', pkg, 'src');
    mkdirSync(src, { recursive: true });
    writeFileSync(join(dir, 'packages', pkg, 'package.json'), JSON.stringify({ name: `@bench/${pkg}`, exports: { '.': './src/index.ts' } }));
    const count = Math.min(filesPerPackage - 1, files - written - 1);
    for (let i = 0; i < count; i += 1) {
      const text = moduleSource(pkg, i, count, packages, written + i).replace(/\b(Shape|Widget|Chain|LABELS|summarize)(\d+)/g, `$1$2${pkg.toUpperCase()}`);
      writeFileSync(join(src, `module-${String(i).padStart(4, '0')}.ts`), text);
    }
    const first = pkg.toUpperCase();
    writeFileSync(join(src, 'index.ts'), `export { Widget0${first} as Entry0 } from './module-0000';\nexport type { Shape0${first} } from './module-0000';\n`);
    written += count + 1;
  }
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { files: { type: 'string' }, 'files-per-package': { type: 'string' } } });
  const dir = resolve(positionals[0] ?? 'ssot-bench-workspace');
  const count = generateWorkspace(dir, { files: Number(values.files ?? 5000), filesPerPackage: Number(values['files-per-package'] ?? 50) });
  console.log(`wrote ${count} TypeScript files to ${dir}`);
}
