// End-to-end test of `perfwatch budget check` with real Lighthouse (issue 17, "How it is
// checked"): Lighthouse 12.2.3 from npm runs three times in Debian's Chromium against a
// local test site with known resources (a page, a stylesheet, a script, an image); the
// budget check reads the three reports, aggregates them by the median as Lighthouse CI
// does, and a budget set just below the measured values exits 1 with a JUnit file naming
// each failed budget, one just above exits 0. The test computes the medians itself from
// the reports and checks that perfwatch reports the same values.
//
//   cd tests/e2e && npm ci && node --test budget.test.mjs
//
// Env: PERFWATCH_BIN (default <repo>/build/perfwatch), CHROMIUM (default /usr/bin/chromium).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

import { BIN, CHROMIUM, freePort } from './lib.mjs';

const run = promisify(execFile);
const LIGHTHOUSE = join(dirname(fileURLToPath(import.meta.url)), 'node_modules/.bin/lighthouse');

// The test site: sizes chosen so every resource type has a known, distinct size.
const SITE = {
  '/shop/': ['text/html', `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Budget test shop</title>
<link rel="stylesheet" href="/static/app.css"></head>
<body><h1>Budget test shop</h1><p>A page with a stylesheet, a script and an image.</p>
<img src="/static/logo.svg" width="240" height="120" alt="logo">
<script src="/static/app.js"></script></body></html>`],
  '/static/app.css': ['text/css', 'body{font-family:sans-serif;margin:2rem}h1{color:#234}\n' + '/* padding */\n'.repeat(700)],
  '/static/app.js': ['text/javascript',
    'document.querySelector("p").textContent += " Script ran.";\n' + '// padding to a known size\n'.repeat(800)],
  '/static/logo.svg': ['image/svg+xml',
    '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="120"><rect width="240" height="120" fill="#3a7"/></svg>'],
};

let dir, site, url;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'perfwatch-budget-e2e-'));
  const port = await freePort();
  site = createServer((req, res) => {
    const f = SITE[req.url];
    if (!f) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': f[0], 'cache-control': 'no-store' });
    res.end(f[1]);
  });
  await new Promise((r) => site.listen(port, '127.0.0.1', r));
  url = `http://127.0.0.1:${port}/shop/`;
});

after(() => {
  site?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// LHCI's median (packages/utils/src/assertions.js): middle value, mean of the middle two.
function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor((s.length - 1) / 2);
  return s.length % 2 ? s[mid] : (s[mid] + s[mid + 1]) / 2;
}

async function budgetCheck(args) {
  try {
    const { stdout, stderr } = await run(BIN, ['budget', 'check', ...args], { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    if (typeof e.code !== 'number') throw e;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('real Lighthouse runs: a budget just below the medians fails with JUnit, just above passes', { timeout: 300_000 }, async () => {
  // Lighthouse's waits shortened for a three-resource page on loopback (defaults: 1 s after
  // FCP and load, 5 s network and CPU quiet windows): the runs stay well under a minute.
  const config = join(dir, 'lighthouse-config.json');
  writeFileSync(config, JSON.stringify({
    extends: 'lighthouse:default',
    settings: { pauseAfterFcpMs: 100, pauseAfterLoadMs: 100, networkQuietThresholdMs: 100, cpuQuietThresholdMs: 100 },
  }));
  const reports = [];
  for (let i = 1; i <= 3; i++) {
    const out = join(dir, `lhr-${i}.json`);
    await run(LIGHTHOUSE, [
      url, '--output=json', `--output-path=${out}`, '--quiet', `--config-path=${config}`,
      '--only-categories=performance', '--form-factor=desktop', '--screenEmulation.disabled',
      '--throttling-method=provided', '--max-wait-for-load=20000',
      '--skip-audits=full-page-screenshot,screenshot-thumbnails,final-screenshot',
      '--chrome-flags=--headless=new --no-sandbox --disable-gpu --no-first-run --disable-background-networking',
    ], { env: { ...process.env, CHROME_PATH: CHROMIUM }, timeout: 120_000, maxBuffer: 1 << 26 });
    const lhr = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(lhr.lighthouseVersion, '12.2.3');
    assert.equal(lhr.runtimeError, undefined, JSON.stringify(lhr.runtimeError));
    reports.push(lhr);
  }
  // Other JSON in the folder (the config, Lighthouse CI's manifest.json) is skipped.
  writeFileSync(join(dir, 'manifest.json'), '[]');

  // What the reports measured, aggregated as Lighthouse CI does.
  const metric = (key) => median(reports.map((r) => r.audits.metrics.details.items[0][key]));
  const summary = (type, field) =>
    median(reports.map((r) => r.audits['resource-summary'].details.items.find((i) => i.resourceType === type)[field]));
  const lcp = metric('largestContentfulPaint');
  const fcp = metric('firstContentfulPaint');
  const scriptKb = summary('script', 'transferSize') / 1024;
  const cssKb = summary('stylesheet', 'transferSize') / 1024;
  const requests = summary('total', 'requestCount');
  assert.ok(lcp > 0 && fcp > 0, `LCP ${lcp} FCP ${fcp}`);
  assert.ok(scriptKb > 19 && scriptKb < 30, `script ${scriptKb} KB`);  // 20.5 KB of script plus headers
  assert.ok(cssKb > 8 && cssKb < 15, `stylesheet ${cssKb} KB`);
  assert.ok(requests >= 4, `requests ${requests}`);

  // The first budget would pass everything; the /shop one comes last and wins.
  const budget = (delta) => JSON.stringify([
    { timings: [{ metric: 'largest-contentful-paint', budget: 60000 }] },
    {
      path: '/shop',
      timings: [
        { metric: 'largest-contentful-paint', budget: lcp + delta },
        { metric: 'first-contentful-paint', budget: fcp + delta },
      ],
      resourceSizes: [
        { resourceType: 'script', budget: scriptKb + delta / 100 },
        { resourceType: 'stylesheet', budget: cssKb + delta / 100 },
      ],
      resourceCounts: [{ resourceType: 'total', budget: requests + (delta > 0 ? 0 : -1) }],
    },
  ], null, 2);
  writeFileSync(join(dir, 'below.json'), budget(-1));
  writeFileSync(join(dir, 'above.json'), budget(+1));

  const junit = join(dir, 'junit.xml');
  const below = await budgetCheck(['--budget', join(dir, 'below.json'), '--lighthouse', dir, '--junit', junit,
    '--markdown', join(dir, 'pr.md')]);
  assert.equal(below.code, 1, below.stdout + below.stderr);
  assert.match(below.stderr, /^perfwatch budget check: over budget: 5 failed, 0 passed, 0 skipped\n$/);
  const xml = readFileSync(junit, 'utf8');
  assert.match(xml, /<testsuites name="perfwatch budget check" tests="5" failures="5" skipped="0">/);
  for (const name of ['/shop/ largest-contentful-paint', '/shop/ first-contentful-paint', '/shop/ script',
    '/shop/ stylesheet', '/shop/ total']) {
    assert.ok(xml.includes(`name="${name}">`) && xml.includes('<failure type="budget"'), `${name} in\n${xml}`);
  }
  assert.match(xml, new RegExp(`value ${Math.round(lcp)} ms, budget ${Math.round(lcp - 1)} ms`));
  assert.match(readFileSync(join(dir, 'pr.md'), 'utf8'), /^### ❌ Performance budgets: 5 over budget/);

  const above = await budgetCheck(['--budget', join(dir, 'above.json'), '--lighthouse', dir, '--junit', junit,
    '--format', 'json']);
  assert.equal(above.code, 0, above.stdout + above.stderr);
  assert.match(readFileSync(junit, 'utf8'), /tests="5" failures="0" skipped="0"/);
  const result = JSON.parse(above.stdout);
  assert.equal(result.passed, true);
  const byName = Object.fromEntries(result.results.map((r) => [r.name, r]));
  assert.equal(byName['largest-contentful-paint'].value, lcp);
  assert.equal(byName['largest-contentful-paint'].samples, 3);
  assert.equal(byName['largest-contentful-paint'].path, '/shop/');
  assert.deepEqual(byName['largest-contentful-paint'].runs,
    reports.map((r) => r.audits.metrics.details.items[0].largestContentfulPaint));
  assert.ok(Math.abs(byName.script.value - scriptKb) < 1e-9);
  assert.equal(byName.total.value, requests);
});
