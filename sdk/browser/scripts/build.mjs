// Builds dist/rum.js (one minified IIFE, what /rum.js serves), dist/rum-trace.js (the
// same plus trace propagation, src/trace.ts: /rum-trace.js) and dist/index.js (ESM for
// bundlers, web-vitals left as a dependency, with trace propagation). With --tests,
// bundles test/*.test.ts into .test-out/ for `node --test` instead.
// __TRACE__ (a compile-time constant) keeps src/trace.ts out of rum.js.
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const common = { absWorkingDir: root, bundle: true, logLevel: 'warning', legalComments: 'none' };

if (process.argv.includes('--tests')) {
  rmSync(join(root, '.test-out'), { recursive: true, force: true });
  await build({
    ...common,
    entryPoints: readdirSync(join(root, 'test'))
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => 'test/' + f),
    outdir: '.test-out',
    outExtension: { '.js': '.mjs' },
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['node:*'],
    define: { __TRACE__: 'true' },
  });
} else {
  for (const [outfile, trace] of [['dist/rum.js', 'false'], ['dist/rum-trace.js', 'true']]) {
    await build({
      ...common,
      entryPoints: ['src/rum.ts'],
      outfile,
      format: 'iife',
      minify: true,
      target: ['chrome90', 'firefox90', 'safari15'],
      define: { __TRACE__: trace },
    });
  }
  await build({
    ...common,
    entryPoints: ['src/index.ts'],
    outfile: 'dist/index.js',
    format: 'esm',
    target: 'es2020',
    external: ['web-vitals'],
    define: { __TRACE__: 'true' },
  });
}
