// End-to-end test of `perfwatch demo`: started as a newcomer would, its simulated visitors
// produce data visible through the vitals API within seconds, and the page at `/` renders
// the p75 table in real headless Chromium (a screenshot is kept for people to look at).
//
//   cd tests/e2e && npm ci && node --test demo.test.mjs
//
// Env: PERFWATCH_BIN (default <repo>/build/perfwatch), CHROMIUM (default /usr/bin/chromium),
// SCREENSHOT_DIR (default the OS temp dir).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { freePort, launchChromium, sleep, waitReady } from './lib.mjs';

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
const { chromium } = await import('playwright-core');

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = process.env.PERFWATCH_BIN || join(repo, 'build/perfwatch');

let proc;
let base;
let dataDir;
let exited = null;

before(async () => {
  assert.ok(existsSync(BIN), `perfwatch binary not found at ${BIN}`);
  const port = await freePort();
  dataDir = mkdtempSync(join(tmpdir(), 'perfwatch-demo-'));
  base = `http://127.0.0.1:${port}`;
  proc = spawn(BIN, ['demo', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--rate', '20',
                     '--backfill', '10m'], { stdio: ['ignore', 'ignore', 'pipe'] });
  proc.on('exit', (code, signal) => { exited = { code, signal }; });
  let log = '';
  proc.stderr.on('data', (d) => { log += d; });
  await waitReady(base, 'demo', () => log);
});

after(async () => {
  if (proc && exited === null) {
    proc.kill('SIGTERM');
    for (let i = 0; i < 100 && exited === null; i++) await sleep(50);
  }
  rmSync(dataDir, { recursive: true, force: true });
});

test('simulated visitors show up in the vitals API within seconds', async () => {
  const started = Date.now();
  let groups = [];
  while (Date.now() - started < 10000) {
    const body = await (await fetch(`${base}/api/v1/vitals?metric=LCP&by=page,device&window=1h`)).json();
    assert.equal(body.status, 'success');
    groups = body.data.groups;
    if (groups.length >= 5) break;
    await sleep(200);
  }
  assert.ok(groups.length >= 5, `expected several page/device groups, got ${groups.length}`);
  const pages = new Set(groups.map((g) => g.labels.page));
  assert.ok(pages.has('/products/:id'), 'product ids are templated');
  assert.ok(pages.has('/checkout'), 'the slow checkout page is there');
  const devices = new Set(groups.map((g) => g.labels.device));
  for (const d of ['mobile', 'desktop', 'tablet']) assert.ok(devices.has(d), `device ${d}`);
  for (const g of groups) {
    assert.ok(g.count > 0 && g.p50 <= g.p75 && g.p75 <= g.p95, JSON.stringify(g));
    assert.ok(Math.abs(g.good + g.needs_improvement + g.poor - 1) < 1e-9);
  }
  // Live data keeps arriving: the count grows.
  const count = async () => (await (await fetch(`${base}/api/v1/vitals?metric=TTFB`)).json()).data.groups[0].count;
  const before = await count();
  await sleep(1500);
  assert.ok((await count()) > before, 'new page views arrive while the demo runs');
  // Errors and long tasks are simulated too.
  const errors = await (await fetch(`${base}/api/v1/events/export?type=error`)).text();
  assert.ok(errors.trim().split('\n').length >= 1 && errors.includes('"type":"error"'));
});

test('the dashboard shows the simulated visitors: overview tiles and the by-page table with ratings', async () => {
  const userDataDir = mkdtempSync(join(tmpdir(), 'perfwatch-demo-chromium-'));
  const context = await launchChromium(chromium, userDataDir, { width: 1100, height: 700 });
  try {
    const page = await context.newPage();
    await page.goto(`${base}/`);
    const lcp = page.locator('section.app-card [data-vital="LCP"] .big');
    await lcp.first().waitFor({ timeout: 10000 });
    assert.match(await lcp.first().innerText(), /^\d+(\.\d+)? (ms|s) (good|needs improvement|poor)$/);
    await page.goto(`${base}/vitals?metric=LCP&min=0`);
    const table = page.locator('section:has(h2:text-is("By page")) table');
    await table.locator('tbody tr').first().waitFor({ timeout: 10000 });
    const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.trim())));
    assert.ok(rows.length >= 5, `expected a row per page, got ${rows.length}`);
    const headers = await table.locator('thead th').evaluateAll((ths) => ths.map((th) => th.textContent.replace(/[↕↑↓]/g, '').trim()));
    assert.deepEqual(headers, ['page', 'p75 (ms)', 'views', 'good (%)', 'needs impr. (%)', 'poor (%)']);
    const checkout = rows.find((r) => r[0] === '/checkout');
    assert.ok(checkout, 'a row for /checkout');
    assert.match(checkout[1], /^\d+(\.\d+)? (ms|s) (good|needs improvement|poor)$/);
    const shot = join(process.env.SCREENSHOT_DIR || tmpdir(), 'perfwatch-demo.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(statSync(shot).size > 5000, 'the screenshot has content');
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
});

test('the demo stops cleanly on SIGTERM', async () => {
  proc.kill('SIGTERM');
  for (let i = 0; i < 200 && exited === null; i++) await sleep(50);
  assert.deepEqual(exited, { code: 0, signal: null });
});
