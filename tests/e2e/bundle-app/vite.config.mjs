// Built by tests/e2e/bundle_report.test.mjs with web/node_modules/.bin/vite:
//   BUNDLE_APP_ROOT=<copy of this folder's index.html + src/> BUNDLE_OUT=<dir> BUNDLE_STATS=<file>
//   vite build --config tests/e2e/bundle-app/vite.config.mjs
// The build writes Vite's manifest (<out>/.vite/manifest.json) and rollup-plugin-visualizer's
// raw-data JSON (module sizes per chunk), the two stats files `bundle report --stats` reads.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { visualizer } from 'rollup-plugin-visualizer';

const here = dirname(fileURLToPath(import.meta.url));
const root = process.env.BUNDLE_APP_ROOT || here;

export default {
  root,
  logLevel: 'warn',
  build: {
    outDir: process.env.BUNDLE_OUT || `${here}/dist`,
    emptyOutDir: true,
    manifest: true,
  },
  // Module ids relative to the app ("/src/cart.js"), not to the working directory.
  plugins: [visualizer({ template: 'raw-data', projectRoot: root, filename: process.env.BUNDLE_STATS || `${here}/stats.json` })],
};
