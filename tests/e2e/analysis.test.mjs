// End-to-end tests of the dashboard's analysis pages (issue 15 item 6) in headless Chromium
// against the real binary: a deploy recorded through POST /api/v1/deploys shows on the
// Regressions page and links to its impact page, which shows the numbers
// GET /api/v1/deploys/{id}/impact returns (p75 before and after per page and vital, the
// verdict as text, new error groups linking to /errors); the Overview cards show the
// performance score GET /api/v1/score returns and the health score; no console errors;
// axe finds no serious or critical violation, light and dark, desktop and phone. A
// regression found by an analysis.watch expression (its own server, OTLP gauge points 200
// hours back) is listed on the Regressions page with its deploy.
//
//   cd tests/e2e && npm ci && node --test analysis.test.mjs
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

let server;
let context;
let profile;
let deploy;
let svcDeploy;
const now = Date.now();
const deployMs = now - 10 * 60_000;
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

/** Page views of app shop: /checkout's LCP triples after the deploy, /home stays the same. */
function beacons() {
  const out = [];
  let n = 0;
  const view = (url, atMs, vitals) => {
    const pv = `pv${n}`;
    for (const [name, value] of Object.entries(vitals)) {
      out.push({ app: 'shop', url: `https://shop.test${url}`, name, value, id: `v${n}-${name}`, sessionId: `s${n}`,
        pageViewId: pv, timestamp: atMs, userAgent: UA, connection: '4g' });
    }
    n++;
  };
  for (let i = 0; i < 12; i++) {
    const beforeAt = deployMs - (9 - i * 0.7) * 60_000;
    const afterAt = deployMs + (1 + i * 0.7) * 60_000;
    view('/checkout', beforeAt, { LCP: 1000 + i * 20, TTFB: 300 + i * 5, CLS: 0.02 });
    view('/checkout', afterAt, { LCP: 3000 + i * 25, TTFB: 310 + i * 5, CLS: 0.02 });
    view('/home', beforeAt + 1000, { LCP: 1500 + i * 10, TTFB: 200 });
    view('/home', afterAt + 1000, { LCP: 1505 + i * 10, TTFB: 200 });
  }
  out.push({ type: 'error', app: 'shop', url: 'https://shop.test/checkout', timestamp: deployMs + 2 * 60_000,
    sessionId: 'serr', id: 'e1', message: 'cart is undefined', errorType: 'TypeError', name: 'TypeError',
    stack: 'TypeError: cart is undefined\n    at pay (https://shop.test/app.js:10:5)', userAgent: UA });
  return out;
}

/** OTLP JSON: server spans of service api on /cart/:id, 4 minutes before and after `atMs`. */
function spans(atMs) {
  const a = (o) => Object.entries(o).map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v } }));
  const list = [];
  for (let i = 0; i < 24; i++) {
    const start = BigInt(Math.round(atMs + (i - 12) * 20_000)) * 1000000n;
    const ms = i < 12 ? 40 : 160;
    list.push({ traceId: (i + 1).toString(16).padStart(32, '0'), spanId: (i + 1).toString(16).padStart(16, '0'), name: 'GET /cart/:id', kind: 2,
      startTimeUnixNano: String(start), endTimeUnixNano: String(start + BigInt(ms) * 1000000n), status: { code: 0 },
      attributes: a({ 'http.route': '/cart/:id', 'http.request.method': 'GET', 'http.response.status_code': 200 }) });
  }
  return { resourceSpans: [{ resource: { attributes: a({ 'service.name': 'api' }) }, scopeSpans: [{ scope: { name: 'analysis-e2e' }, spans: list }] }] };
}

async function api(path, init) {
  const res = await fetch(server.base + path, init);
  const body = await res.json();
  assert.equal(body.status, 'success', `${path}: ${JSON.stringify(body)}`);
  return body.data;
}

/** The dashboard's formatting of vitals (web/src/format.ts formatVital). */
function fmt(metric, v) {
  if (v === null || v === undefined) return '–';
  if (metric === 'CLS') return v.toFixed(3);
  return Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`;
}

before(async () => {
  server = await startServer({ name: 'analysis' });
  deploy = await api('/api/v1/deploys', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ app: 'shop', version: '2.0.0', commit: 'abc123', environment: 'prod', time: deployMs / 1000 }) });
  const res = await fetch(`${server.base}/api/rum`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(beacons()) });
  assert.ok(res.status === 204 || res.status === 200, `POST /api/rum answered ${res.status}: ${await res.text()}`);
  const svcAt = now - 5 * 60_000;
  svcDeploy = await api('/api/v1/deploys', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ service: 'api', version: '3.1.0', time: svcAt / 1000 }) });
  const tr = await fetch(`${server.base}/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(spans(svcAt)) });
  assert.equal(tr.status, 200, `POST /v1/traces: ${tr.status} ${await tr.text()}`);
  profile = mkdtempSync(join(tmpdir(), 'perfwatch-analysis-chromium-'));
  context = await launchChromium(chromium, profile, { width: 1280, height: 800 });
});

after(async () => {
  await context?.close();
  await server?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test('the Regressions page lists the deploy and links to its impact page', async () => {
  const { page, errors } = await newPage(context);
  await page.goto(`${server.base}/regressions?app=shop`);
  const row = page.locator(`tr[data-deploy-row="${deploy.id}"]`);
  await row.waitFor({ timeout: 15000 });
  const text = await row.innerText();
  for (const want of ['2.0.0', 'abc123', 'prod', 'shop']) assert.ok(text.includes(want), `deploy row "${text}" lacks ${want}`);
  // The regressions table (or its empty state that says what to do) is there too.
  await page.locator('section:has(h2:text-is("Regressions found by the watches")) :is(table, .state.empty)').first().waitFor();
  await row.locator(`a[data-deploy="${deploy.id}"]`).click();
  await page.waitForURL(/\/deploy\?/);
  assert.match(page.url(), new RegExp(`id=${deploy.id}`));
  await page.locator('h1', { hasText: 'Deploy 2.0.0' }).waitFor({ timeout: 15000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test('the impact page shows the numbers the impact API returns', async () => {
  const impact = await api(`/api/v1/deploys/${deploy.id}/impact`);
  const lcp = impact.pages.find((p) => p.page === '/checkout' && p.metric === 'LCP');
  assert.ok(lcp, JSON.stringify(impact.pages));
  assert.equal(lcp.verdict, 'worse');
  assert.equal(lcp.significant, true);
  const { page, errors } = await newPage(context);
  await page.goto(`${server.base}/deploy?id=${deploy.id}`);
  const rows = page.locator('section:has(h2:text-is("Pages: Core Web Vitals p75")) tbody tr');
  await rows.first().waitFor({ timeout: 15000 });
  assert.equal(await rows.count(), impact.pages.length);
  for (const p of impact.pages) {
    const text = await page.locator(`tr[data-page="${p.page}"][data-metric="${p.metric}"]`).innerText();
    for (const want of [fmt(p.metric, p.before), fmt(p.metric, p.after), p.verdict, p.significant ? '(significant)' : '(not significant)']) {
      assert.ok(text.includes(want), `${p.page} ${p.metric}: "${text}" lacks ${want}`);
    }
  }
  const worse = impact.pages.filter((p) => p.significant && p.verdict === 'worse').length;
  assert.equal(await page.locator('.tile[data-stat="worse"] .big').innerText(), String(worse));
  assert.equal(await page.locator('.tile[data-stat="new-errors"] .big').innerText(), String(impact.new_errors.length));
  for (const e of impact.new_errors) {
    const link = page.locator(`tr[data-fingerprint="${e.fingerprint}"] a`);
    assert.match(await link.getAttribute('href'), new RegExp(`/errors\\?.*fingerprint=${e.fingerprint}`));
  }
  // An unknown id says so instead of failing.
  await page.goto(`${server.base}/deploy?id=ffffffffffffffff`);
  await page.locator('.state.empty', { hasText: 'No deploy with id' }).waitFor();
  assert.deepEqual(errors.filter((e) => !e.includes('404')), []);
  await page.close();
});

test('the Overview cards show the performance score and the health score the APIs return', async () => {
  const score = await api('/api/v1/score?app=shop&window=24h');
  const health = await api('/api/v1/health?app=shop');
  assert.notEqual(score.score, null);
  const { page, errors } = await newPage(context);
  await page.goto(`${server.base}/?app=shop`);
  const tile = page.locator('section.app-card[data-app="shop"] .tile[data-stat="score"]');
  await tile.waitFor({ timeout: 15000 });
  const text = await tile.innerText();
  // The score over the page's window (24 h) is the API's for the same window, give or take
  // the seconds between the two calls (no beacon is that old or that new).
  assert.ok(text.includes(`${+score.score.toFixed(1)} / 100`), `score tile "${text}" lacks ${+score.score.toFixed(1)}`);
  const verdict = score.score >= 90 ? 'good' : score.score >= 50 ? 'needs improvement' : 'poor';
  assert.ok(text.includes(verdict), `score tile "${text}" lacks ${verdict}`);
  assert.ok(text.includes(`${score.views} page views`), `score tile "${text}" lacks ${score.views} page views`);
  const htext = await page.locator('section.app-card[data-app="shop"] .tile[data-stat="health"]').innerText();
  assert.ok(htext.includes(health.verdict), `health tile "${htext}" lacks ${health.verdict}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the impact page of a service deploy shows the p95 and error ratio per route', async () => {
  const impact = await api(`/api/v1/deploys/${svcDeploy.id}/impact`);
  assert.ok(impact.routes.length >= 2, JSON.stringify(impact.routes));
  const { page, errors } = await newPage(context);
  await page.goto(`${server.base}/deploy?id=${svcDeploy.id}`);
  await page.locator('section:has(h2:text-is("Routes: p95 and error ratio")) tbody tr').first().waitFor({ timeout: 15000 });
  for (const r of impact.routes) {
    const text = await page.locator(`tr[data-route="${r.route}"][data-metric="${r.metric}"]`).innerText();
    assert.ok(text.includes(r.verdict), `${r.route} ${r.metric}: "${text}" lacks ${r.verdict}`);
    assert.ok(text.includes(`${r.before_count} / ${r.after_count}`), `${r.route} ${r.metric}: "${text}" lacks the counts`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('deploy markers on the Vitals and Services time charts', async () => {
  const { page, errors } = await newPage(context);
  await page.goto(`${server.base}/vitals?app=shop&metric=LCP&window=1h`);
  await page.locator('.chart[aria-label*="deploy 2.0.0"]').waitFor({ timeout: 15000 });
  await page.goto(`${server.base}/services?service=api&window=1h`);
  await page.locator('.chart[aria-label*="deploy 3.1.0"]').first().waitFor({ timeout: 15000 });
  assert.equal(await page.locator('.chart[aria-label*="deploy 3.1.0"]').count(), 3);
  assert.deepEqual(errors, []);
  await page.close();
});

test('screenshots and accessibility of the analysis pages', async () => {
  const problems = [
    ...await screenshotsAndA11y(context, `${server.base}/regressions?app=shop`, 'regressions', (p) => p.locator(`tr[data-deploy-row="${deploy.id}"]`).waitFor({ timeout: 15000 })),
    ...await screenshotsAndA11y(context, `${server.base}/deploy?id=${deploy.id}`, 'deploy', (p) => p.locator('tr[data-metric]').first().waitFor({ timeout: 15000 })),
    ...await screenshotsAndA11y(context, `${server.base}/?app=shop`, 'overview-score', (p) => p.locator('.tile[data-stat="score"]').waitFor({ timeout: 15000 })),
  ];
  assert.deepEqual(problems, []);
});

test('a regression found by a watch is listed with its deploy', async () => {
  // Its own server: an analysis.watch expression passed every second over 200 hourly
  // points (OTLP gauge checkout_latency, seconds, service "api") that rise 30 % 100 hours
  // ago, just after a deploy of api.
  const watched = await startServer({
    name: 'analysis-watch',
    files: { 'perfwatch.yml': "scrape:\n  self_scrape: false\nanalysis:\n  watch_interval: 1s\n  watch:\n"
      + "    - name: checkout_latency\n      expr: 'last_over_time(checkout_latency_seconds[1h])'\n      step: 1h\n" },
  });
  try {
    const hour = 3_600_000;
    const last = now - (now % hour);
    const points = [];
    for (let i = 0; i < 200; i++) {
      const wiggle = 1 + (0.02 * (((i * 37) % 11) - 5)) / 5;
      points.push({ timeUnixNano: String(BigInt(last - (199 - i) * hour) * 1000000n), asDouble: (i >= 100 ? 0.26 : 0.2) * wiggle,
        attributes: [{ key: 'service', value: { stringValue: 'api' } }] });
    }
    const body = { resourceMetrics: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout-svc' } }] },
      scopeMetrics: [{ scope: { name: 'e2e' }, metrics: [{ name: 'checkout_latency', unit: 's', gauge: { dataPoints: points } }] }] }] };
    const m = await fetch(`${watched.base}/v1/metrics`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(m.status, 200, `POST /v1/metrics: ${m.status} ${await m.text()}`);
    const change = last - 99 * hour;
    const d = await fetch(`${watched.base}/api/v1/deploys`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ service: 'api', version: '9.9.9', time: (change - 30 * 60_000) / 1000 }) });
    const dep = (await d.json()).data;
    // Wait for a pass that saw the data and the deploy, then open the page.
    for (let i = 0; i < 100; i++) {
      const r = await (await fetch(`${watched.base}/api/v1/regressions`)).text();
      if (r.includes('"version":"9.9.9"')) break;
      await new Promise((res) => setTimeout(res, 200));
    }

    const { page, errors } = await newPage(context);
    await page.goto(`${watched.base}/regressions?window=30d`);
    const row = page.locator('tr[data-regression]', { hasText: 'checkout_latency' });
    await row.waitFor({ timeout: 20000 }).catch(async (e) => {
      const api = await (await fetch(`${watched.base}/api/v1/regressions`)).text();
      throw new Error(`${e.message}\nAPI: ${api}\npage: ${(await page.locator('main').innerText()).slice(0, 800)}\n${watched.log().slice(-1500)}`);
    });
    const text = await row.innerText();
    for (const want of ['api', 'checkout_latency', 'active', '9.9.9']) assert.ok(text.includes(want), `regression row "${text}" lacks ${want}`);
    assert.ok(/\+?3\d(\.\d)? ?%/.test(text), `the change (about +30 %) is not shown: "${text}"`);
    await row.locator(`a[data-deploy="${dep.id}"]`).waitFor();
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await watched.stop();
  }
});
