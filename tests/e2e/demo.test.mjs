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

test('the page at / renders the p75 table with ratings in Chromium', async () => {
  const userDataDir = mkdtempSync(join(tmpdir(), 'perfwatch-demo-chromium-'));
  const context = await launchChromium(chromium, userDataDir, { width: 1100, height: 700 });
  try {
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.waitForSelector('#vitals tbody td.good, #vitals tbody td.poor, #vitals tbody td.needs-improvement',
                               { timeout: 10000 });
    const rows = await page.$$eval('#vitals tbody tr', (trs) => trs.map((tr) =>
      [...tr.cells].map((td) => ({ text: td.textContent.trim(), cls: td.className }))));
    assert.ok(rows.length >= 5, `expected a row per page, got ${rows.length}`);
    const headers = await page.$$eval('#vitals thead th', (ths) => ths.map((th) => th.textContent));
    assert.deepEqual(headers, ['page', 'LCP', 'INP', 'CLS', 'FCP', 'TTFB', 'views']);
    const checkout = rows.find((r) => r[0].text === '/checkout');
    assert.ok(checkout, 'a row for /checkout');
    assert.match(checkout[1].text, /^\d+(\.\d+)? (ms|s)$/);
    assert.ok(['good', 'needs-improvement', 'poor'].includes(checkout[1].cls));
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
