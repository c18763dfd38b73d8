// Builds dist/rum.js (one minified IIFE, what /rum.js serves), dist/rum-trace.js (the
// same plus trace propagation, src/trace.ts: /rum-trace.js), dist/rum.full.js (the
// extended build: trace propagation, resource summary, LCP / INP subparts, journeys:
// /rum.full.js) and dist/index.js (ESM for bundlers, web-vitals left as a
// dependency, everything of rum.full.js). With --tests, bundles test/*.test.ts into
// .test-out/ for `node --test` instead.
// __TRACE__ and __FULL__ (compile-time constants) keep src/trace.ts, resources.ts,
// attribution.ts and journey.ts out of the smaller builds.
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
    define: { __TRACE__: 'true', __FULL__: 'true' },
  });
} else {
  for (const [outfile, trace, full] of [
    ['dist/rum.js', 'false', 'false'],
    ['dist/rum-trace.js', 'true', 'false'],
    ['dist/rum.full.js', 'true', 'true'],
  ]) {
    await build({
      ...common,
      entryPoints: ['src/rum.ts'],
      outfile,
      format: 'iife',
      minify: true,
      target: ['chrome90', 'firefox90', 'safari15'],
      define: { __TRACE__: trace, __FULL__: full },
    });
  }
  await build({
    ...common,
    entryPoints: ['src/index.ts'],
    outfile: 'dist/index.js',
    format: 'esm',
    target: 'es2020',
    external: ['web-vitals'],
    define: { __TRACE__: 'true', __FULL__: 'true' },
  });
}
