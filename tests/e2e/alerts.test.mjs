// End-to-end test of the alerts sections of the page at `/`: a server with a rule file whose
// rules fire (and one whose query fails) shows the firing alert, its labels and summary,
// and the failing rule's error; acknowledging, silencing, expiring and un-acknowledging
// from the page change the server's state (issue 12). Real headless Chromium.
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

async function json(path) {
  const res = await fetch(`${base}${path}`);
  assert.equal(res.status, 200, `${path}: ${res.status}`);
  return res.json();
}

async function until(what, fn, timeout = 15000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

test('acknowledging and silencing from the page change the server state', async () => {
  const userDataDir = mkdtempSync(join(tmpdir(), 'perfwatch-alerts-chromium-'));
  const context = await launchChromium(chromium, userDataDir, { width: 1280, height: 800 });
  const consoleErrors = [];
  try {
    const page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    const answers = ['looking into it', 'deploy in progress'];
    page.on('dialog', (d) => d.accept(answers.shift()));
    await page.goto(`${base}/`);
    const row = page.locator('#notifications tbody tr', { hasText: 'CheckoutSlow' });
    await row.getByRole('button', { name: 'Acknowledge' }).click({ timeout: 15000 });
    const acked = await until('the acknowledgement on the server', async () =>
      (await json('/api/v2/alerts')).find((a) => a.labels.alertname === 'CheckoutSlow' && a.status.acknowledgement));
    assert.equal(acked.status.acknowledgement.comment, 'looking into it');
    await row.getByText('acknowledged by').waitFor({ timeout: 10000 });

    await row.getByRole('button', { name: 'Silence 1h' }).click();
    const silence = await until('the silence on the server', async () =>
      (await json('/api/v2/silences')).find((s) => s.status.state === 'active'));
    assert.equal(silence.comment, 'deploy in progress');
    assert.equal(silence.createdBy, 'dashboard');
    assert.ok(silence.matchers.some((m) => m.name === 'alertname' && m.value === 'CheckoutSlow' && m.isEqual));
    const endsIn = Date.parse(silence.endsAt) - Date.now();
    assert.ok(endsIn > 3500e3 && endsIn <= 3600e3, `ends in ${endsIn} ms`);
    await page.locator('#silences tbody tr', { hasText: 'deploy in progress' }).waitFor({ timeout: 10000 });
    await row.getByText('silenced').waitFor({ timeout: 10000 });

    await page.locator('#silences tbody tr', { hasText: 'deploy in progress' }).getByRole('button', { name: 'Expire' }).click();
    await until('the silence to expire', async () =>
      (await json('/api/v2/silences')).every((s) => s.status.state === 'expired'));
    await row.getByRole('button', { name: 'Unacknowledge' }).click();
    await until('the acknowledgement to go', async () =>
      (await json('/api/v2/alerts')).every((a) => !a.status.acknowledgement));
    await page.locator('#slos tbody', { hasText: 'No SLOs configured' }).waitFor({ timeout: 10000 });
    await page.screenshot({ path: join(process.env.SCREENSHOT_DIR || tmpdir(), 'perfwatch-notifications.png'),
                            fullPage: true });
    assert.deepEqual(consoleErrors, []);
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
});
