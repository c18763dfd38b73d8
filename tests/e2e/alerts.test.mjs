// End-to-end test of the alerts section of the page at `/`: a server with a rule file whose
// rules fire (and one whose query fails) shows the firing alert, its labels and summary,
// and the failing rule's error, in real headless Chromium.
//
//   cd tests/e2e && npm ci && node --test alerts.test.mjs
//
// Env: PERFWATCH_BIN (default <repo>/build/perfwatch), CHROMIUM, SCREENSHOT_DIR.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
let dir;

before(async () => {
  assert.ok(existsSync(BIN), `perfwatch binary not found at ${BIN}`);
  dir = mkdtempSync(join(tmpdir(), 'perfwatch-alerts-e2e-'));
  writeFileSync(join(dir, 'rules.yml'), `groups:
  - name: demo
    interval: 1s
    rules:
      - alert: CheckoutSlow
        expr: vector(4.2) > 1
        labels: {severity: page, route: /checkout}
        annotations: {summary: 'p75 LCP of /checkout is {{ $value }}s'}
      - alert: Broken
        expr: count_values("not a label", vector(1)) > 0
`);
  // alerts.defaults off: the page is checked against this test's own two rules only.
  writeFileSync(join(dir, 'perfwatch.yml'), 'rule_files: [rules.yml]\nalerts: {defaults: false}\n');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  proc = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', join(dir, 'data'),
                     '--config', join(dir, 'perfwatch.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => { log += d; });
  await waitReady(base, 'perfwatch', () => log);
});

after(async () => {
  if (proc) proc.kill('SIGTERM');
  await sleep(300);
  rmSync(dir, { recursive: true, force: true });
});

test('the page lists firing alerts and failing rules', async () => {
  const userDataDir = mkdtempSync(join(tmpdir(), 'perfwatch-alerts-chromium-'));
  const context = await launchChromium(chromium, userDataDir, { width: 1280, height: 800 });
  try {
    const page = await context.newPage();
    await page.goto(`${base}/`);
    // The interval is 1 s and the page refreshes every 5 s: the alert shows within ~7 s.
    await page.waitForSelector('#alerts td.firing', { timeout: 15000 });
    const rows = await page.$$eval('#alerts tbody tr', (trs) => trs.map((tr) =>
      [...tr.cells].map((td) => td.textContent.trim())));
    const row = rows.find((r) => r[1] === 'CheckoutSlow');
    assert.ok(row, `a row for CheckoutSlow in ${JSON.stringify(rows)}`);
    assert.equal(row[0], 'firing');
    assert.equal(row[2], 'route="/checkout", severity="page"');
    assert.equal(row[4], '4.2');
    assert.equal(row[5], 'p75 LCP of /checkout is 4.2s');
    await page.waitForFunction(() => document.querySelector('#rule-errors li'), null, { timeout: 10000 });
    const errors = await page.$$eval('#rule-errors li', (lis) => lis.map((li) => li.textContent));
    assert.ok(errors.some((e) => e.startsWith('demo / Broken: ') && e.includes('invalid label name')), errors.join('; '));
    const summary = await page.textContent('#rules-summary');
    assert.match(summary, /^2 rules in 1 group · 1 firing, 0 pending · 1 failing$/);
    await page.screenshot({ path: join(process.env.SCREENSHOT_DIR || tmpdir(), 'perfwatch-alerts.png'), fullPage: true });
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
});
