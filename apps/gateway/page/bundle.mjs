// Bundles the demo page (page/main.ts and the @agentwirejs/client it is built on) into
// dist/page/page.js, which the gateway serves at /page.js. Run by the gateway's build target.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const pageDir = dirname(fileURLToPath(import.meta.url));
await build({
  entryPoints: [join(pageDir, 'main.ts')],
  tsconfig: join(pageDir, 'tsconfig.json'),
  outfile: join(pageDir, '..', 'dist', 'page', 'page.js'),
  bundle: true,
  minify: true,
  // the map embeds its sources, so what the browser's devtools show is what ran
  sourcemap: true,
  sourcesContent: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  logLevel: 'warning',
});
