// Prints the raw and `gzip -9c` size of dist/rum.js and fails above the budget.
// Uses the gzip program (its header names the file, as `gzip -9c dist/rum.js` does);
// falls back to zlib plus the same header bytes when gzip is missing.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const BUDGET = 5120;
const file = fileURLToPath(new URL('../dist/rum.js', import.meta.url));
const raw = readFileSync(file);
let gz;
try {
  gz = execFileSync('gzip', ['-9c', file], { maxBuffer: 1 << 24 }).length;
} catch {
  gz = gzipSync(raw, { level: 9 }).length + 'rum.js\0'.length;
}
console.log(`dist/rum.js: ${raw.length} bytes raw, ${gz} bytes gzip -9c (budget ${BUDGET})`);
if (gz > BUDGET) {
  console.error(`dist/rum.js is ${gz - BUDGET} bytes over the ${BUDGET}-byte gzip budget`);
  process.exit(1);
}
