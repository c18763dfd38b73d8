// End-to-end test of @perfwatch/react (issue 20): the example shop (examples/react-shop)
// built with Vite, served on its own origin with /api proxied to a real perfwatch, loaded
// in real headless Chromium:
//
//   cd tests/e2e && npm ci && PERFWATCH_BIN=/path/to/perfwatch node --test react_sdk.test.mjs
//
// - the vitals usePerformanceMonitor renders equal the browser's own entries (FCP, LCP,
//   TTFB within 5 ms) and what the server stored for the same page view (pageViewId);
// - useMemoryProfiler reports a leak on /leaky (detached DOM nodes kept) and none on
//   /steady (the same churn, nothing kept) — Chromium with --enable-precise-memory-info;
// - useAlertManager shows an alert within 2 s of the server firing it, and its Acknowledge
//   button changes the server's state.
// Builds what it needs first: npm ci where node_modules is missing (sdk/browser, sdk/react,
// examples/react-shop), then sdk/browser's and sdk/react's npm builds and `vite build`.
// Env: PERFWATCH_BIN, CHROMIUM (see lib.mjs).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { after, before, test } from 'node:test';

import { BIN, launchChromium, REPO, sleep, startServer } from './lib.mjs';

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
const { chromium } = await import('playwright-core');

const APP = 'react-shop';
const SHOP = join(REPO, 'examples/react-shop');
const RULES = `groups:
  - name: shop
    interval: 1s
    rules:
      - alert: Never
        expr: vector(0) > 1
`;
const LATE_RULE = `      - alert: ShopCheckoutSlow
        expr: vector(3.2) > 3
        labels: {severity: page, app: ${APP}}
        annotations: {summary: 'checkout p75 LCP is {{ $value }}s'}
`;

let server, site, context, profile;

function npm(dir, ...args) {
  execFileSync('npm', args, { cwd: join(REPO, dir), stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' } });
}

/** Serves the shop's dist/ (any other path: index.html) and proxies /api to perfwatch. */
function serveShop(dist, upstream) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
  return createServer((req, res) => {
    if (req.url.startsWith('/api/')) {
      const u = new URL(upstream);
      const p = request({ host: u.hostname, port: u.port, path: req.url, method: req.method, headers: { ...req.headers, host: u.host } }, (r) => {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
      });
      p.on('error', () => res.writeHead(502).end());
      req.pipe(p);
      res.on('close', () => p.destroy());
      return;
    }
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    let file = join(dist, path);
    if (!existsSync(file) || !extname(file)) file = join(dist, 'index.html');
    res.writeHead(200, { 'content-type': types[extname(file)] || 'application/octet-stream' }).end(readFileSync(file));
  });
}

before(async () => {
  assert.ok(existsSync(BIN), `perfwatch binary not found at ${BIN}`);
  for (const dir of ['sdk/browser', 'sdk/react', 'examples/react-shop'])
    if (!existsSync(join(REPO, dir, 'node_modules'))) npm(dir, 'ci', '--no-audit', '--no-fund', '--loglevel=error');
  // The SDKs are rebuilt only when their sources are newer than dist/ (CI's CMake build has
  // built both): a rebuild empties dist/, which example_demo.test.mjs, running beside this
  // test, may be reading.
  const mtime = (f) => (existsSync(f) ? statSync(f).mtimeMs : 0);
  const newest = (d) => Math.max(0, ...readdirSync(d, { recursive: true }).map((f) => mtime(join(d, f))));
  for (const dir of ['sdk/browser', 'sdk/react'])
    if (mtime(join(REPO, dir, 'dist/index.js')) < Math.max(newest(join(REPO, dir, 'src')), mtime(join(REPO, dir, 'package.json'))))
      npm(dir, 'run', 'build');
  npm('examples/react-shop', 'exec', '--', 'vite', 'build', '--logLevel', 'warn');
  server = await startServer({
    name: 'react-sdk',
    files: {
      'perfwatch.yml': 'rule_files: [rules.yml]\nalerts:\n  defaults: false\nscrape:\n  self_scrape: false\n',
      'rules.yml': RULES,
    },
  });
  site = serveShop(join(SHOP, 'dist'), server.base);
  await new Promise((r) => site.listen(0, '127.0.0.1', r));
  profile = mkdtempSync(join(tmpdir(), 'pw-react-chromium-'));
  context = await launchChromium(chromium, profile, { width: 1100, height: 800 }, ['--enable-precise-memory-info', '--js-flags=--expose-gc']);
});

after(async () => {
  await context?.close();
  site?.close();
  await server?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

const origin = () => `http://127.0.0.1:${site.address().port}`;

/** The vitals the hook renders: {pageViewId, vitals: {name: value}}. */
const rendered = (page) =>
  page.evaluate(() => {
    const s = document.querySelector('#vitals');
    const vitals = {};
    for (const tr of s.querySelectorAll('tr[data-vital]')) vitals[tr.dataset.vital] = +tr.dataset.value;
    return { pageViewId: s.dataset.pageViewId, vitals };
  });

async function storedVitals(pageViewId) {
  const r = await fetch(`${server.base}/api/v1/events/export?type=vital`);
  assert.equal(r.status, 200);
  const out = {};
  for (const l of (await r.text()).split('\n')) {
    if (!l.trim()) continue;
    const e = JSON.parse(l);
    if (e.app === APP && e.pageViewId === pageViewId) out[e.name] = e.value;
  }
  return out;
}

test('usePerformanceMonitor renders the vitals the browser measured and the server stored', { timeout: 90_000 }, async (t) => {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(origin() + '/');
  for (const v of ['TTFB', 'FCP']) await page.waitForSelector(`#vitals tr[data-vital="${v}"]`, { timeout: 15_000 });
  // An interaction: INP, and LCP is final (web-vitals reports LCP at the first input).
  await page.click('#add-1');
  for (const v of ['LCP', 'INP']) await page.waitForSelector(`#vitals tr[data-vital="${v}"]`, { timeout: 15_000 });
  await sleep(300);
  const own = await page.evaluate(async () => {
    const nav = performance.getEntriesByType('navigation')[0];
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    const lcp = await new Promise((r) => new PerformanceObserver((l) => r(l.getEntries().at(-1).startTime)).observe({ type: 'largest-contentful-paint', buffered: true }));
    return { TTFB: nav.responseStart, FCP: fcp.startTime, LCP: lcp };
  });
  const hook = await rendered(page);
  assert.ok(hook.pageViewId, 'the hook shows the page view id');
  for (const v of ['TTFB', 'FCP', 'LCP'])
    assert.ok(Math.abs(hook.vitals[v] - own[v]) <= 5, `${v}: hook ${hook.vitals[v]}, browser ${own[v]}`);
  assert.ok(hook.vitals.INP >= 60, `INP ${hook.vitals.INP} after a 60 ms handler`);

  // The server's events of the same page view: every vital the hook shows, same value
  // (the SDK's batch leaves within 5 s).
  let stored, now;
  const end = Date.now() + 30_000;
  for (;;) {
    now = await rendered(page);
    stored = await storedVitals(hook.pageViewId);
    const names = Object.keys(now.vitals);
    if (names.length >= 4 && names.every((n) => n in stored && Math.abs(stored[n] - now.vitals[n]) <= (n === 'CLS' ? 1e-4 : 5))) break;
    if (Date.now() > end) assert.fail(`server ${JSON.stringify(stored)} vs hook ${JSON.stringify(now.vitals)}`);
    await sleep(500);
  }
  t.diagnostic(`page view ${hook.pageViewId}: hook ${JSON.stringify(now.vitals)}, server ${JSON.stringify(stored)}, browser ${JSON.stringify(own)}`);
  assert.equal(now.pageViewId, hook.pageViewId);
  assert.deepEqual(errors, []);
  await page.close();
});

test('useMemoryProfiler reports a leak on the leaking page and none on the steady one', { timeout: 200_000 }, async (t) => {
  const leaky = await context.newPage();
  const steady = await context.newPage();
  await leaky.goto(origin() + '/leaky');
  await steady.goto(origin() + '/steady');
  const read = (p) => p.evaluate(() => ({ ...document.querySelector('#memory').dataset }));
  let l, s;
  const start = Date.now();
  const end = start + 150_000;
  for (;;) {
    await sleep(2000);
    [l, s] = [await read(leaky), await read(steady)];
    // The steady page is never called leaking, from its first verdict (10 points) on.
    if (+s.points >= 10) assert.notEqual(s.leaking, 'true', `steady called leaking: ${JSON.stringify(s)}`);
    // Both judged on at least 45 points (45 s after the 10 s warm-up).
    if (l.leaking === 'true' && +s.points >= 45) break;
    if (Date.now() > end) assert.fail(`no verdict in time: leaky ${JSON.stringify(l)}, steady ${JSON.stringify(s)}`);
  }
  t.diagnostic(`leaky: ${JSON.stringify(l)}; steady: ${JSON.stringify(s)}; after ${((Date.now() - start) / 1000).toFixed(0)} s`);
  assert.ok(+l.samples > 0 && +s.samples > 0, 'performance.memory is sampled');
  assert.ok(['medium', 'high', 'critical'].includes(l.severity), l.severity);
  assert.equal(s.leaking, 'false', JSON.stringify(s));
  assert.equal(s.severity, 'none');
  await leaky.close();
  await steady.close();
});

test('useAlertManager shows an alert within 2 s of it firing; Acknowledge changes the server\'s state', { timeout: 60_000 }, async () => {
  const page = await context.newPage();
  await page.goto(origin() + '/alerts');
  await page.waitForSelector('#alerts[data-connected="true"]', { timeout: 10_000 });
  writeFileSync(join(server.dir, 'rules.yml'), RULES + LATE_RULE);
  const reload = await fetch(`${server.base}/-/reload`, { method: 'POST' });
  assert.equal(reload.status, 200, await reload.text());
  // When the server first lists it as firing.
  let fired, alert;
  for (const end = Date.now() + 20_000; !alert; await sleep(50)) {
    assert.ok(Date.now() < end, 'the alert did not fire');
    alert = (await (await fetch(`${server.base}/api/v2/alerts?active=true`)).json()).find((a) => a.labels.alertname === 'ShopCheckoutSlow');
    fired = Date.now();
  }
  const li = `#alerts li[data-fingerprint="${alert.fingerprint}"]`;
  await page.waitForSelector(li, { timeout: 5_000 });
  const shown = Date.now() - fired;
  assert.ok(shown <= 2000, `shown ${shown} ms after firing`);

  await page.fill('#alerts input', 'looking into it');
  await page.click(`${li} button`);
  let ack;
  for (const end = Date.now() + 5_000; !ack; await sleep(100)) {
    assert.ok(Date.now() < end, 'not acknowledged on the server');
    const a = (await (await fetch(`${server.base}/api/v2/alerts?active=true`)).json()).find((x) => x.fingerprint === alert.fingerprint);
    ack = a?.status?.acknowledgement;
  }
  assert.equal(ack.comment, 'looking into it');
  await page.waitForSelector(`${li}[data-acked="true"]`, { timeout: 5_000 });
  await page.close();
});
