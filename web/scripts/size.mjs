// Prints the gzipped size of every file in dist/ and fails (exit 1) when the JavaScript
// loaded at start (index.html's <script> and its static imports: every dist/assets/*.js)
// exceeds the 150 KB gzip budget of issue 13. `--json`: the figures as JSON on stdout.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET = 150 * 1024;
const dist = new URL('../dist/', import.meta.url).pathname;
const files = [];
for (const dir of ['', 'assets']) {
  for (const name of readdirSync(join(dist, dir), { withFileTypes: true })) {
    if (!name.isFile()) continue;
    const body = readFileSync(join(dist, dir, name.name));
    files.push({ file: join(dir, name.name), bytes: body.length, gzip: gzipSync(body, { level: 9 }).length });
  }
}
const js = files.filter((f) => f.file.endsWith('.js')).reduce((a, f) => a + f.gzip, 0);
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ files, initial_js_gzip: js, budget: BUDGET }));
} else {
  for (const f of files) console.log(`${f.file.padEnd(40)} ${String(f.bytes).padStart(8)} B  ${String(f.gzip).padStart(7)} B gzip`);
  console.log(`initial JavaScript: ${js} B gzip (budget ${BUDGET})`);
}
if (js > BUDGET) {
  console.error(`dashboard JavaScript is ${js} B gzipped, over the ${BUDGET} B budget`);
  process.exit(1);
}
