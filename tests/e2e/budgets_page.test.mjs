// End-to-end tests of the dashboard's Budgets page (tracker issue 17 item 3) in headless
// Chromium against the real binary:
//  1. with no run, the page says how to upload one (`perfwatch budget check --upload`),
//     without console errors, and passes axe light/dark, desktop/phone;
//  2. two runs POSTed to /api/v1/budget-runs (one passing on main, then one failing on a
//     feature branch) show: the latest run's results with the failing budget first (value
//     against budget, negative headroom), both runs in the history with commit, branch, build
//     id and counts, the headroom chart, and the branch filter narrowing to main.
//
//   cd tests/e2e && npm ci && node --test budgets_page.test.mjs
//
// Env: PERFWATCH_BIN (default <repo>/build/perfwatch), PERFWATCH_WEB_DIR, CHROMIUM, SCREENSHOT_DIR.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { launchChromium, newPage, screenshotsAndA11y, startServer } from './lib.mjs';

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
const { chromium } = await import('playwright-core');

const NO_SELF_SCRAPE = 'scrape:\n  self_scrape: false\n';

let context;
let profile;

before(async () => {
  profile = mkdtempSync(join(tmpdir(), 'perfwatch-budgets-chromium-'));
  context = await launchChromium(chromium, profile, { width: 1280, height: 800 });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** A `perfwatch budget check --format json` result (the contract's shape). */
function run({ commit, branch, build, time, lcp, bundleKb }) {
  const lcpStatus = lcp > 2500 ? 'fail' : 'pass';
  const bundleStatus = bundleKb > 150 ? 'fail' : 'pass';
  const results = [
    { kind: 'timing', path: '/', name: 'largest-contentful-paint', value: lcp, budget: 2500, tolerance: 0, unit: 'ms',
      status: lcpStatus, headroom_ratio: (2500 - lcp) / 2500, samples: 3, baseline: null, message: `LCP ${lcp} ms against 2500 ms` },
    { kind: 'bundle', path: '', name: 'assets/index.js', compression: 'gzip', value: bundleKb, budget: 150, tolerance: 0, unit: 'KB',
      status: bundleStatus, headroom_ratio: (150 - bundleKb) / 150, samples: null, baseline: null, message: `${bundleKb} KB gzip` },
    { kind: 'field', path: '/checkout', name: 'INP', value: null, budget: 200, tolerance: 0, unit: 'ms',
      status: 'skipped', headroom_ratio: null, samples: 4, baseline: null, message: 'too few samples (4 < 50)' },
  ];
  const failed = results.filter((r) => r.status === 'fail').length;
  return {
    app: 'shop', commit, branch, build_id: build, time, passed: failed === 0, results,
    summary: { passed: results.filter((r) => r.status === 'pass').length, failed, skipped: 1 },
  };
}

async function post(base, body) {
  const res = await fetch(`${base}/api/v1/budget-runs`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  assert.equal(res.status, 200, `POST /api/v1/budget-runs answered ${res.status}: ${text}`);
  return JSON.parse(text).data.id;
}

test('without runs the Budgets page says how to upload one', async () => {
  const server = await startServer({ name: 'budgets-empty', files: { 'perfwatch.yml': NO_SELF_SCRAPE } });
  try {
    const { page, errors } = await newPage(context);
    await page.goto(`${server.base}/budgets`);
    const state = page.locator('.state.empty', { hasText: 'No budget runs yet' });
    await state.waitFor({ timeout: 15000 });
    const text = await state.innerText();
    for (const want of ['perfwatch budget check --upload', '--server', '/api/v1/budget-runs', 'ingest', 'docs/budget-runs.md']) {
      assert.ok(text.includes(want), `empty state "${text}" lacks ${want}`);
    }
    await page.locator('nav a[href^="/budgets"][aria-current="page"]').waitFor();
    assert.deepEqual(errors, []);
    await page.close();
    const problems = await screenshotsAndA11y(context, `${server.base}/budgets`, 'budgets-empty',
      (p) => p.locator('.state.empty', { hasText: 'No budget runs yet' }).waitFor({ timeout: 15000 }));
    assert.deepEqual(problems, []);
  } finally {
    await server.stop();
  }
});

test('two uploaded runs show with the failing result, the history and the headroom chart', async () => {
  const server = await startServer({ name: 'budgets-runs', files: { 'perfwatch.yml': NO_SELF_SCRAPE } });
  try {
    const now = Date.now();
    const passing = await post(server.base, run({ commit: 'a1b2c3d4e5f6a7b8', branch: 'main', build: '101',
      time: new Date(now - 3600e3).toISOString(), lcp: 2200, bundleKb: 120 }));
    const failing = await post(server.base, run({ commit: 'f9e8d7c6b5a4f3e2', branch: 'feature/cart', build: '102',
      time: new Date(now - 600e3).toISOString(), lcp: 2900, bundleKb: 130 }));

    const { page, errors } = await newPage(context);
    await page.goto(`${server.base}/budgets`);
    const section = page.locator('section[data-app="shop"]');
    await section.waitFor({ timeout: 15000 });

    // The latest run (the failing one) and its results, failing first.
    const facts = await section.locator('dl.latest-run').innerText();
    for (const want of ['failed', 'f9e8d7c6b5a4f3e2', 'feature/cart', '102', '1 passed, 1 failed, 1 skipped']) {
      assert.ok(facts.includes(want), `latest run "${facts}" lacks ${want}`);
    }
    const firstResult = section.locator('tr[data-result]').first();
    assert.equal(await firstResult.getAttribute('data-status'), 'fail');
    const failText = await firstResult.innerText();
    for (const want of ['fail', 'timing', 'largest-contentful-paint', '2.90 s', '2.50 s', '−16 %', 'LCP 2900 ms against 2500 ms']) {
      assert.ok(failText.includes(want), `failing result "${failText}" lacks ${want}`);
    }
    assert.equal(await firstResult.locator('.headroom .fill.over').count(), 1, 'the failing result has a red headroom bar');
    const bundle = await section.locator('tr[data-result="bundle||assets/index.js|gzip"]').innerText();
    for (const want of ['pass', 'assets/index.js (gzip)', '130 KB', '150 KB', '+13 %']) {
      assert.ok(bundle.includes(want), `bundle result "${bundle}" lacks ${want}`);
    }
    const skipped = section.locator('tr[data-status="skipped"]');
    assert.ok((await skipped.innerText()).includes('too few samples'));
    // Each status is written out where it can be seen (inside its row, not off screen).
    for (const status of ['fail', 'pass', 'skipped']) {
      const badge = await section.locator(`tr[data-result] .bstatus[data-status="${status}"]`).first().boundingBox();
      const row = await section.locator(`tr[data-status="${status}"]`).first().boundingBox();
      assert.ok(badge && row && badge.x >= row.x && badge.width > 0, `the ${status} badge is off its row: ${JSON.stringify({ badge, row })}`);
    }

    // Both runs in the history, newest first.
    const runs = section.locator('tr[data-run]');
    assert.equal(await runs.count(), 2);
    assert.equal(await runs.nth(0).getAttribute('data-run'), failing);
    assert.equal(await runs.nth(1).getAttribute('data-run'), passing);
    const failingRow = await runs.nth(0).innerText();
    for (const want of ['f9e8d7c6b5a4', 'feature/cart', '102', 'failed']) assert.ok(failingRow.includes(want), `run row "${failingRow}" lacks ${want}`);
    const passingRow = await runs.nth(1).innerText();
    for (const want of ['a1b2c3d4e5f6', 'main', '101', 'passed']) assert.ok(passingRow.includes(want), `run row "${passingRow}" lacks ${want}`);

    // The headroom chart draws the two runs.
    const chart = section.locator('.chart[aria-label*="Headroom of shop"]');
    await chart.waitFor({ timeout: 15000 });
    assert.ok((await chart.getAttribute('aria-label')).includes('last 2 runs'));
    assert.ok(await chart.locator('canvas').count() >= 1, 'the chart draws a canvas');

    // The branch filter: main has only the passing run.
    await page.selectOption('select[name="branch"]', 'main');
    await page.waitForURL(/branch=main/);
    await section.locator('tr[data-run]').first().waitFor();
    await page.waitForFunction(() => document.querySelectorAll('section[data-app="shop"] tr[data-run]').length === 1);
    assert.equal(await section.locator('tr[data-run]').first().getAttribute('data-run'), passing);
    assert.equal(await section.locator('dl.latest-run [data-status="passed"]').count(), 1);

    assert.deepEqual(errors, []);
    await page.close();
    const problems = await screenshotsAndA11y(context, `${server.base}/budgets`, 'budgets-runs',
      (p) => p.locator('section[data-app="shop"] tr[data-run]').nth(1).waitFor({ timeout: 15000 }));
    assert.deepEqual(problems, []);
  } finally {
    await server.stop();
  }
});
