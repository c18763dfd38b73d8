// Fails when @perfwatch/react adds more than 3 KB (3072 bytes by gzip -9) to an app that
// already bundles the browser SDK (issue 20: "<= 3 KB gzipped on top of the browser SDK"):
// an app bundle of @perfwatch/rum's npm build alone, and one with every export of
// dist/index.js as well (every hook used), both minified by esbuild, react left out;
// the budget applies to the difference of their gzip sizes. Also prints the package's
// dist/index.js minified and gzipped on its own (no shared dictionary: an upper bound).
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const BUDGET = 3072;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
async function bundle(contents, external = ['react']) {
  const r = await build({
    stdin: { contents, resolveDir: root },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2020',
    write: false,
    external,
    logLevel: 'warning',
  });
  const raw = r.outputFiles[0].contents;
  return [raw.length, gzipSync(raw, { level: 9 }).length];
}
const [, sdk] = await bundle("export * from '@perfwatch/rum';");
const [, both] = await bundle("export * from '@perfwatch/rum'; export * from './dist/index.js';");
const [raw, alone] = await bundle("export * from './dist/index.js';", ['react', '@perfwatch/rum']);
console.log(`@perfwatch/react: ${raw} bytes minified, ${alone} bytes gzipped on its own; ` +
  `adds ${both - sdk} bytes gzipped to an app with @perfwatch/rum (${sdk} -> ${both}; budget ${BUDGET})`);
if (both - sdk > BUDGET) {
  console.error(`@perfwatch/react is ${both - sdk - BUDGET} bytes over its ${BUDGET}-byte gzip budget`);
  process.exit(1);
}
