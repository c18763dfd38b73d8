// End-to-end tests of synthetic checks in the dashboard (tracker issue 18 item 5) and the
// public status page (item 4), in headless Chromium against the real binary:
//  1. a server with auth tokens and two YAML HTTP checks (interval 10 s) against a tiny
//     HTTP server started here, one passing (/ok) and one failing (/fail: a 500 with an
//     HTML body and a header): the Checks page (read token) lists both with their states,
//     target, source and uptime; selecting the failing one (?check=) shows its phase chart,
//     the outcome strip and the failure with status 500, its header and its body as text
//     (never as HTML); "Run now" with the read token shows the server's refusal (admin
//     scope), with an admin token it runs and says the outcome; a reload restores the
//     selection;
//  2. /status (HTML, no token) says "1 of 2 checks failing" and lists both checks, and
//     /api/v1/status-page/default answers JSON without a token, while /checks and
//     /api/v1/checks need one;
//  3. screenshots and axe (light/dark, desktop/phone) of the list and of the detail;
//  4. with no check, the page says how to add one (YAML synthetic.checks, POST
//     /api/v1/checks, docs/synthetic.md).
//
//   cd tests/e2e && npm ci && node --test checks.test.mjs
//
// Env: PERFWATCH_BIN (default <repo>/build/perfwatch), PERFWATCH_WEB_DIR, CHROMIUM, SCREENSHOT_DIR.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { launchChromium, newPage, screenshotsAndA11y, sleep, startServer, VIEWPORTS } from './lib.mjs';

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
const { chromium } = await import('playwright-core');

const READ_TOKEN = 'e2e-checks-read-token-7f3a';
const ADMIN_TOKEN = 'e2e-checks-admin-token-91bc';
const sha256 = (s) => createHash('sha256').update(s).digest('hex');
const basic = (token) => ({ Authorization: `Basic ${Buffer.from(`e2e:${token}`).toString('base64')}` });

// The failing endpoint's body: HTML that the page must show as text.
const FAIL_BODY = '<h1 id="injected">boom</h1><script>window.__injected = 1</script> upstream unavailable';

function config(targetPort) {
  return `scrape:
  self_scrape: false
auth:
  tokens:
    - name: reader
      token_sha256: ${sha256(READ_TOKEN)}
      scopes: [read]
    - name: ops
      token_sha256: ${sha256(ADMIN_TOKEN)}
      scopes: [admin]
synthetic:
  checks:
    - name: api-ok
      interval: 10s
      http:
        url: http://127.0.0.1:${targetPort}/ok
      assert:
        - status: 200
        - body_contains: all good
    - name: api-broken
      interval: 10s
      http:
        url: http://127.0.0.1:${targetPort}/fail
        timeout: 5s
      assert:
        - status: 200
`;
}

let target;
let targetPort;
let server;
let context;
let profile;

async function api(path, { token = ADMIN_TOKEN, method = 'GET' } = {}) {
  const res = await fetch(server.base + path, { method, headers: token ? basic(token) : {} });
  const text = await res.text();
  assert.equal(res.status, 200, `${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  const body = JSON.parse(text);
  assert.equal(body.status, 'success', path);
  return body.data;
}

/** Polls `fn` until it returns a truthy value (60 s at most). */
async function until(what, fn) {
  let last;
  for (let i = 0; i < 600; i++) {
    last = await fn();
    if (last) return last;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)?.slice(0, 500)}`);
}

before(async () => {
  target = createServer((req, res) => {
    if (req.url === '/ok') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('all good');
    } else if (req.url === '/fail') {
      res.writeHead(500, { 'Content-Type': 'text/html', 'X-Upstream': 'db-primary-down' });
      res.end(FAIL_BODY);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((r) => target.listen(0, '127.0.0.1', r));
  targetPort = target.address().port;
  server = await startServer({ name: 'checks', files: { 'perfwatch.yml': config(targetPort) } });
  // Both checks ran once (each within its 10 s interval) before the page is opened.
  await until('both checks ran', async () => {
    const list = await api('/api/v1/checks');
    return list.length === 2 && list.every((c) => c.state !== 'pending') && list;
  });
  profile = mkdtempSync(join(tmpdir(), 'perfwatch-checks-chromium-'));
  context = await launchChromium(chromium, profile, VIEWPORTS.desktop);
  await context.setExtraHTTPHeaders(basic(READ_TOKEN));
});

after(async () => {
  await context?.close();
  await server?.stop();
  await new Promise((r) => (target ? target.close(r) : r()));
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test('the Checks page lists both checks and shows the failing one with its response', async () => {
  const list = await api('/api/v1/checks');
  const byName = Object.fromEntries(list.map((c) => [c.name, c]));
  assert.equal(byName['api-ok'].state, 'up');
  assert.equal(byName['api-broken'].state, 'down');

  const { page, errors } = await newPage(context);
  await page.goto(`${server.base}/checks`);
  const okRow = page.locator('tr[data-check="api-ok"]');
  const badRow = page.locator('tr[data-check="api-broken"]');
  await okRow.waitFor({ timeout: 20_000 });
  await page.locator('nav a[href^="/checks"][aria-current="page"]').waitFor();
  assert.equal(await okRow.getAttribute('data-state'), 'up');
  assert.equal(await badRow.getAttribute('data-state'), 'down');
  const okText = await okRow.innerText();
  for (const want of ['api-ok', 'http', `http://127.0.0.1:${targetPort}/ok`, 'up', 'ago', '100 %', 'YAML']) {
    assert.ok(okText.includes(want), `row "${okText}" lacks ${want}`);
  }
  const badText = await badRow.innerText();
  for (const want of ['api-broken', `http://127.0.0.1:${targetPort}/fail`, 'down', '0.00 %', byName['api-broken'].last_error]) {
    assert.ok(badText.includes(want), `row "${badText}" lacks ${want}`);
  }
  assert.match(await page.locator('[data-summary]').innerText(), /1 of 2 checks failing/);

  // Select the failing check: its detail with the failure's status, header and body.
  await badRow.getByRole('link', { name: 'api-broken' }).click();
  await page.waitForURL(/[?&]check=api-broken/);
  const detail = page.locator('section[data-detail]');
  const failure = detail.locator('details.failure').first();
  await failure.waitFor({ timeout: 20_000 });
  assert.equal(await detail.locator('h2').innerText(), 'Check api-broken');
  assert.equal(await failure.getAttribute('open'), '', 'the newest failure is open');
  const full = await api('/api/v1/checks/api-broken');
  assert.ok(full.failures.length >= 1, 'the API kept the failure');
  const newest = full.failures[full.failures.length - 1];
  assert.equal(newest.response.status, 500);
  assert.equal(await failure.locator('[data-status-code]').innerText(), '500');
  assert.ok((await failure.locator('h4', { hasText: 'Response' }).innerText()).includes('HTTP 500'));
  assert.ok((await failure.locator('[data-error]').innerText()).includes(newest.error), `the failure shows "${newest.error}"`);
  assert.ok((await failure.locator('table.headers').innerText()).includes('db-primary-down'), 'the X-Upstream header');
  // The body as text: the markup is visible, nothing of it was parsed or run.
  assert.equal(await failure.locator('pre.body').innerText(), FAIL_BODY);
  assert.equal(await page.locator('#injected').count(), 0, 'the body was not parsed as HTML');
  assert.equal(await page.evaluate(() => window.__injected), undefined, 'the body\'s script did not run');

  // Duration by phase over the history, and the outcome strip.
  const chart = detail.locator('.chart[aria-label*="by phase"]');
  await chart.waitFor({ timeout: 10_000 });
  const drawn = Number(/last (\d+) runs/.exec(await chart.getAttribute('aria-label'))?.[1]);
  assert.ok(drawn >= 1 && drawn <= full.history.length + 1, `the chart names the runs it draws (${drawn})`);
  assert.ok(await chart.locator('canvas').count() >= 1, 'the chart draws a canvas');
  for (const phase of ['resolve', 'connect', 'tls', 'processing', 'transfer']) {
    assert.ok((await detail.locator('.u-legend').innerText()).includes(phase), `the legend lacks ${phase}`);
  }
  assert.ok(await detail.locator('.strip span.fail').count() >= 1);
  assert.equal(await detail.locator('.strip span.ok').count(), 0, 'the failing check never succeeded');
  assert.match(await detail.locator('[data-strip]').innerText(), /^0 of \d+ recent runs succeeded/);

  // Run now: the read token is refused (admin scope), the server's message shown.
  const runBtn = detail.getByRole('button', { name: 'Run now' });
  await runBtn.click();
  const msg = detail.locator('.run-msg');
  await page.waitForFunction(() => /admin scope/.test(document.querySelector('.run-msg')?.textContent ?? ''), null, { timeout: 10_000 });
  const refused = await msg.innerText();
  assert.match(refused, /needs a token with the admin scope/);
  assert.match(refused, /token "reader" lacks the "admin" scope/, `the server's message is shown: ${refused}`);
  // With an admin token it runs (with the retry) and says the outcome.
  const before = (await api('/api/v1/checks/api-broken')).history.length;
  await page.setExtraHTTPHeaders(basic(ADMIN_TOKEN));
  await runBtn.click();
  await page.waitForFunction(() => /Run finished/.test(document.querySelector('.run-msg')?.textContent ?? ''), null, { timeout: 20_000 });
  assert.match(await msg.innerText(), /Run finished: down after .+: .*500/);
  assert.ok((await api('/api/v1/checks/api-broken')).history.length > before, 'the run was recorded');
  await page.setExtraHTTPHeaders(basic(READ_TOKEN));

  // A reload restores the selection from the URL.
  await page.reload();
  await page.locator('section[data-detail] details.failure').first().waitFor({ timeout: 20_000 });
  assert.equal(await page.locator('tr.current-check').getAttribute('data-check'), 'api-broken');

  // The refused POST is the only failed request the page made.
  assert.deepEqual(errors.filter((e) => !/status of 403/.test(e)), []);
  await page.close();
});

test('the public status page lists both checks without a token', async () => {
  // The dashboard and the API need a token here...
  assert.equal((await fetch(`${server.base}/checks`)).status, 401);
  assert.equal((await fetch(`${server.base}/api/v1/checks`)).status, 401);
  // ...the status page does not.
  const res = await fetch(`${server.base}/api/v1/status-page/default`);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.status, 'success');
  const states = Object.fromEntries(body.data.checks.map((c) => [c.name, c.state]));
  assert.deepEqual(states, { 'api-ok': 'up', 'api-broken': 'down' });
  for (const c of body.data.checks) assert.equal(c.days.length, 90, `${c.name}: 90 days of uptime`);

  // A browser without any credentials.
  const dir = mkdtempSync(join(tmpdir(), 'perfwatch-status-page-chromium-'));
  const ctx = await launchChromium(chromium, dir, VIEWPORTS.desktop);
  try {
    const page = await ctx.newPage();
    const resp = await page.goto(`${server.base}/status`);
    assert.equal(resp.status(), 200);
    assert.match(resp.headers()['content-type'], /^text\/html/);
    const text = await page.locator('body').innerText();
    assert.match(text, /1 of 2 checks failing/);
    assert.ok(text.includes('api-ok') && text.includes('api-broken'), text);
    await page.close();
  } finally {
    await ctx.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('screenshots and accessibility', async () => {
  const problems = [
    ...await screenshotsAndA11y(context, `${server.base}/checks`, 'checks',
      (p) => p.locator('tr[data-check="api-broken"]').waitFor({ timeout: 20_000 })),
    ...await screenshotsAndA11y(context, `${server.base}/checks?check=api-broken`, 'checks-detail',
      (p) => p.locator('section[data-detail] .chart canvas').first().waitFor({ timeout: 20_000 })),
  ];
  assert.deepEqual(problems, []);
});

test('without checks the page says how to add one', async () => {
  const bare = await startServer({ name: 'checks-empty', files: { 'perfwatch.yml': 'scrape:\n  self_scrape: false\n' } });
  const dir = mkdtempSync(join(tmpdir(), 'perfwatch-checks-empty-chromium-'));
  const ctx = await launchChromium(chromium, dir, VIEWPORTS.desktop);
  try {
    const { page, errors } = await newPage(ctx);
    await page.goto(`${bare.base}/checks`);
    const state = page.locator('.state.empty', { hasText: 'No checks yet.' });
    await state.waitFor({ timeout: 15_000 });
    const text = await state.innerText();
    for (const want of ['synthetic', 'checks:', 'POST /api/v1/checks', 'admin', 'docs/synthetic.md']) {
      assert.ok(text.includes(want), `empty state "${text}" lacks ${want}`);
    }
    assert.equal(await page.locator('section[data-detail]').isHidden(), true);
    assert.deepEqual(errors, []);
    await page.close();
    const problems = await screenshotsAndA11y(ctx, `${bare.base}/checks`, 'checks-empty',
      (p) => p.locator('.state.empty', { hasText: 'No checks yet.' }).waitFor({ timeout: 15_000 }));
    assert.deepEqual(problems, []);
  } finally {
    await ctx.close();
    await bare.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
