// Prints the raw and `gzip -9c` size of dist/rum.js, rum-trace.js and rum.full.js and fails
// above their budgets. Uses the gzip program (its header names the file, as
// `gzip -9c dist/rum.js` does); falls back to zlib plus the same header bytes when gzip
// is missing.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

// rum.js: 5 KB. rum-trace.js (rum.js + trace propagation, opt-in): 5.5 KB. rum.full.js
// (the extended build, issue 16): 8 KB.
const BUDGETS = { 'rum.js': 5120, 'rum-trace.js': 5632, 'rum.full.js': 8192 };
let over = false;
for (const [name, budget] of Object.entries(BUDGETS)) {
  const file = fileURLToPath(new URL('../dist/' + name, import.meta.url));
  const raw = readFileSync(file);
  let gz;
  try {
    gz = execFileSync('gzip', ['-9c', file], { maxBuffer: 1 << 24 }).length;
  } catch {
    gz = gzipSync(raw, { level: 9 }).length + (name + '\0').length;
  }
  console.log(`dist/${name}: ${raw.length} bytes raw, ${gz} bytes gzip -9c (budget ${budget})`);
  if (gz > budget) {
    console.error(`dist/${name} is ${gz - budget} bytes over the ${budget}-byte gzip budget`);
    over = true;
  }
}
if (over) process.exit(1);
