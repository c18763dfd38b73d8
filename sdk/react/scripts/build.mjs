// Builds dist/index.js (ESM, react and @perfwatch/rum left as imports, not minified: the
// app's bundler minifies and tree-shakes it) and dist/*.d.ts (tsc). With --tests, bundles
// test/*.test.tsx into .test-out/ for `node --test`, with @perfwatch/rum replaced by
// test/fake-rum.ts (a controllable stand-in: the hooks' inputs are its beacons).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const common = { absWorkingDir: root, bundle: true, logLevel: 'warning', legalComments: 'none', jsx: 'automatic' };

if (process.argv.includes('--tests')) {
  rmSync(join(root, '.test-out'), { recursive: true, force: true });
  await build({
    ...common,
    entryPoints: readdirSync(join(root, 'test'))
      .filter((f) => /\.test\.tsx?$/.test(f))
      .map((f) => 'test/' + f),
    outdir: '.test-out',
    outExtension: { '.js': '.mjs' },
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['node:*', 'react', 'react-test-renderer', 'react-dom'],
    alias: { '@perfwatch/rum': './test/fake-rum.ts' },
  });
} else {
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  await build({
    ...common,
    entryPoints: ['src/index.ts'],
    outfile: 'dist/index.js',
    format: 'esm',
    target: 'es2020',
    external: ['react', 'react/jsx-runtime', '@perfwatch/rum'],
  });
  execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', root], { stdio: 'inherit' });
}
