// `perfwatch bundle report` on a real Vite build (issue 17, item 4): the sample app in
// tests/e2e/bundle-app is built with the dashboard's Vite (web/node_modules/.bin/vite) and
// rollup-plugin-visualizer (raw-data) into a temp dir; every file's gzip and brotli size
// must equal what `gzip -9 -n` and `brotli -q 11` write for it (measured here), chunks and
// modules come from the two stats files, and after the test enlarges one module and
// rebuilds, growth beyond 20 % against the first report exits 1 (a small change exits 0).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, appendFileSync, readdirSync, statSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { BIN, REPO, startServer } from './lib.mjs';

const APP = join(REPO, 'tests/e2e/bundle-app');
const VITE = join(REPO, 'web/node_modules/.bin/vite');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error) throw r.error;
  return r;
}

// Builds the app at `root` into `<work>/<name>`; returns { out, stats, manifest }.
function build(work, root, name) {
  const out = join(work, name);
  const stats = join(work, `${name}-stats.json`);
  const r = run(VITE, ['build', '--config', join(APP, 'vite.config.mjs')], {
    env: { ...process.env, BUNDLE_APP_ROOT: root, BUNDLE_OUT: out, BUNDLE_STATS: stats },
  });
  assert.equal(r.status, 0, `vite build failed:\n${r.stdout}\n${r.stderr}`);
  return { out, stats, manifest: join(out, '.vite/manifest.json') };
}

function bundleReport(args) {
  return run(BIN, ['bundle', 'report', ...args]);
}

// Bytes a command writes to stdout for `file`.
function toolSize(cmd, args, file) {
  const r = spawnSync(cmd, [...args, file], { maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `${cmd} failed`);
  return r.stdout.length;
}

function walk(dir, base = dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name.startsWith('.')) continue;
    if (statSync(p).isDirectory()) walk(p, base, out);
    else out.push(relative(base, p));
  }
  return out.sort();
}

test('bundle report on a Vite build: sizes as gzip -9 and brotli -q 11, chunks, modules, growth', () => {
  const work = mkdtempSync(join(tmpdir(), 'pw-bundle-e2e-'));
  try {
    const src = join(work, 'app');
    cpSync(join(APP, 'index.html'), join(src, 'index.html'));
    cpSync(join(APP, 'src'), join(src, 'src'), { recursive: true });
    const first = build(work, src, 'dist1');

    const r = bundleReport([first.out, '--stats', first.manifest, '--stats', first.stats, '--format', 'json']);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    const files = walk(first.out);
    assert.deepEqual(report.files.map((f) => f.path), files);
    assert.ok(files.some((f) => /^assets\/index-.+\.js$/.test(f)) && files.some((f) => /^assets\/checkout-.+\.js$/.test(f)));
    let total = { raw: 0, gzip: 0, brotli: 0 };
    for (const f of report.files) {
      const p = join(first.out, f.path);
      const expected = {
        raw: statSync(p).size,
        gzip: toolSize('gzip', ['-9', '-n', '-c'], p),
        brotli: toolSize('brotli', ['-q', '11', '-c'], p),
      };
      assert.deepEqual({ raw: f.raw, gzip: f.gzip, brotli: f.brotli }, expected, f.path);
      for (const k of Object.keys(total)) total[k] += expected[k];
    }
    assert.deepEqual(report.total, total);
    assert.deepEqual(report.stats, ['vite-manifest', 'rollup-visualizer']);
    // Chunks from the manifest: the entry (its JS and CSS) and the lazy checkout.
    const index = report.chunks.find((c) => c.name === 'index');
    assert.ok(index, JSON.stringify(report.chunks));
    assert.equal(index.files.length, 2);
    const sum = (k) => index.files.reduce((s, path) => s + report.files.find((f) => f.path === path)[k], 0);
    assert.equal(index.gzip, sum('gzip'));
    assert.equal(index.brotli, sum('brotli'));
    assert.ok(report.chunks.find((c) => c.name === 'checkout'));
    // Modules from the visualizer, named by chunk.
    const catalog = report.modules.find((m) => m.id === '/src/catalog.js');
    assert.ok(catalog && catalog.bytes > 0, JSON.stringify(report.modules));
    assert.deepEqual(catalog.chunks, ['index']);
    assert.equal(report.growth, null);
    const baseline = join(work, 'baseline.json');
    writeFileSync(baseline, r.stdout);

    // A small change (one more product): within 20 %, exit 0.
    appendFileSync(join(src, 'src/catalog.js'), "products.push({ id: 6, name: 'Filter papers', price: 450 });\n");
    const small = build(work, src, 'dist2');
    const ok = bundleReport([small.out, '--baseline', baseline, '--format', 'json']);
    assert.equal(ok.status, 0, ok.stderr + ok.stdout);
    const okReport = JSON.parse(ok.stdout);
    const okIndex = okReport.growth.items.find((g) => g.key === 'assets/index-[hash].js');
    assert.ok(okIndex.after > okIndex.before && okIndex.growth < 0.2, JSON.stringify(okIndex));

    // The catalog grows by a hundred products: the entry chunk grows far beyond 20 % (and
    // stays under 16 KB, where zlib's deflate and GNU gzip's cut the same blocks: above it
    // they differ by ~0.2 %, docs/bundles.md).
    let more = '';
    for (let i = 7; i < 120; i++) more += `products.push({ id: ${i}, name: 'Product ${i} ${(i * 7919).toString(36)}', price: ${(i * 104729) % 99999} });\n`;
    appendFileSync(join(src, 'src/catalog.js'), more);
    const big = build(work, src, 'dist3');
    const over = bundleReport([big.out, '--baseline', baseline, '--format', 'json']);
    assert.equal(over.status, 1, over.stderr);
    assert.match(over.stderr, /growth beyond 20 %/);
    assert.equal(over.stderr.trim().split('\n').length, 1);
    const overReport = JSON.parse(over.stdout);
    assert.equal(overReport.passed, false);
    const grown = overReport.growth.items.find((g) => g.key === 'assets/index-[hash].js');
    const newJs = overReport.files.find((f) => /^assets\/index-.+\.js$/.test(f.path));
    assert.ok(newJs.raw < 16384, `${newJs.path}: ${newJs.raw} bytes`);
    assert.equal(grown.after, toolSize('gzip', ['-9', '-n', '-c'], join(big.out, newJs.path)));
    assert.equal(newJs.brotli, toolSize('brotli', ['-q', '11', '-c'], join(big.out, newJs.path)));
    assert.equal(grown.status, 'fail');
    assert.ok(grown.growth > 0.2);
    // The checkout chunk did not change.
    assert.equal(overReport.growth.items.find((g) => g.key === 'assets/checkout-[hash].js').status, 'pass');
    // The same with a generous limit passes; the Markdown and table outputs name the failure.
    assert.equal(bundleReport([big.out, '--baseline', baseline, '--max-growth', '100']).status, 0);
    const md = bundleReport([big.out, '--baseline', baseline, '--format', 'markdown']);
    assert.equal(md.status, 1);
    assert.match(md.stdout, /\| assets\/index-\[hash\]\.js \(gzip\) \|.*\| FAIL \|/);
    const table = bundleReport([big.out, '--baseline', baseline]);
    assert.match(table.stdout, /assets\/index-\[hash\]\.js \(gzip\).*FAIL/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('bundle report: bad input exits 2 with one line', () => {
  const work = mkdtempSync(join(tmpdir(), 'pw-bundle-e2e-'));
  try {
    writeFileSync(join(work, 'a.js'), 'export const a = 1;\n');
    writeFileSync(join(work, 'bad.json'), '{"hello": 1}');
    const cases = [
      [[join(work, 'missing')], /not a directory/],
      [[work, '--stats', join(work, 'bad.json')], /bad\.json: not a known stats file/],
      [[work, '--stats', join(work, 'nope.json')], /cannot read/],
      [[work, '--baseline', join(work, 'bad.json')], /no "files" array/],
      [[work, '--max-growth=-1'], /--max-growth/],
      [[work, '--server', 'http://127.0.0.1:1'], /--server needs --app/],
    ];
    for (const [args, message] of cases) {
      const r = bundleReport(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('bundle report --server: the newest budget run of the app is the baseline', async () => {
  const work = mkdtempSync(join(tmpdir(), 'pw-bundle-e2e-'));
  const server = await startServer({ name: 'bundle' });
  try {
    const src = join(work, 'app');
    cpSync(join(APP, 'index.html'), join(src, 'index.html'));
    cpSync(join(APP, 'src'), join(src, 'src'), { recursive: true });
    const dist = build(work, src, 'dist');
    const now = JSON.parse(bundleReport([dist.out, '--format', 'json']).stdout);
    const js = now.files.find((f) => /^assets\/index-.+\.js$/.test(f.path));
    // A stored run (as `budget check --upload` stores it) whose entry chunk was 10 % smaller
    // in gzip (a path of another build: matched by its key), then one 30 % smaller: newest wins.
    const post = async (gzip) => {
      const result = { kind: 'bundle', path: '', name: 'assets/index-Ab12Cd34.js', compression: 'gzip', value: gzip,
        budget: 100000, tolerance: 0, unit: 'bytes', status: 'pass', headroom_ratio: 0.9, samples: 1, baseline: null, message: '' };
      const r = await fetch(`${server.base}/api/v1/budget-runs`, { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ app: 'shop', commit: String(gzip), passed: true, results: [result], summary: { passed: 1, failed: 0, skipped: 0 } }) });
      assert.equal(r.status, 200, await r.text());
    };
    await post(Math.round(js.gzip / 1.1));
    const within = bundleReport([dist.out, '--server', server.base, '--app', 'shop', '--format', 'json']);
    assert.equal(within.status, 0, within.stderr);
    const item = JSON.parse(within.stdout).growth.items.find((g) => g.key === 'assets/index-[hash].js');
    assert.equal(item.after, js.gzip);
    assert.equal(item.status, 'pass');
    await post(Math.round(js.gzip / 1.3));
    const over = bundleReport([dist.out, '--server', server.base, '--app', 'shop']);
    assert.equal(over.status, 1, over.stderr);
    assert.match(over.stdout, /assets\/index-\[hash\]\.js \(gzip\).*FAIL/);
    const none = bundleReport([dist.out, '--server', server.base, '--app', 'nope']);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /no stored budget run/);
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
});
