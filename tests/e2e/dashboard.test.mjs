// End-to-end tests of the dashboard's Overview and Web Vitals pages (issue 13) in real
// headless Chromium against the real binary: a server filled with known beacons shows the
// numbers its APIs return, links restore the state, a beacon posted while the page is
// open appears without reload within 2 s, exports hold what is shown, empty states say
// what to do, no page logs a console error, and axe finds no serious or critical
// violation, light and dark, desktop and phone (screenshots in build/screenshots/).
//
//   cd tests/e2e && npm ci && node --test dashboard.test.mjs
//
// Env: PERFWATCH_BIN (default <repo>/build/perfwatch), PERFWATCH_WEB_DIR, CHROMIUM, SCREENSHOT_DIR.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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
const now = Date.now();

const UA = {
  mobile: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1',
  desktop: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
};

/** Known beacons: shop has pages /a and /b, mobile and desktop; blog has one page. */
function beacons() {
  const out = [];
  let n = 0;
  const add = (app, url, device, name, value, agoMin) => out.push({
    app, url: `https://example.test${url}`, name, value, id: `v${n}`, sessionId: `s${n++}`,
    timestamp: now - agoMin * 60_000, userAgent: UA[device], connection: '4g',
  });
  const lcpA = [1200, 1800, 2300, 2600, 3100, 4200, 5200, 2000];
  const lcpB = [900, 1500, 3900];
  lcpA.forEach((v, i) => add('shop', '/a', i % 2 ? 'mobile' : 'desktop', 'LCP', v, 5 + i * 3));
  lcpB.forEach((v, i) => add('shop', '/b', 'desktop', 'LCP', v, 7 + i * 4));
  [120, 180, 240, 90, 600].forEach((v, i) => add('shop', '/a', 'mobile', 'INP', v, 6 + i));
  [0.01, 0.05, 0.2, 0.3].forEach((v, i) => add('shop', '/a', 'desktop', 'CLS', v, 8 + i));
  [900, 1300, 1700, 2100].forEach((v, i) => add('shop', '/b', 'desktop', 'FCP', v, 9 + i));
  [300, 450, 700, 950, 1500, 200].forEach((v, i) => add('shop', i < 3 ? '/a' : '/b', 'desktop', 'TTFB', v, 10 + i));
  [1000, 1100, 1300].forEach((v, i) => add('blog', '/post', 'desktop', 'LCP', v, 4 + i));
  [150, 170, 190].forEach((v, i) => add('blog', '/post', 'desktop', 'TTFB', v, 4 + i));
  return out;
}

async function post(body) {
  const res = await fetch(`${server.base}/api/rum`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  assert.ok(res.status === 204 || res.status === 200, `POST /api/rum answered ${res.status}`);
}

async function api(path) {
  const body = await (await fetch(server.base + path)).json();
  assert.equal(body.status, 'success', JSON.stringify(body));
  return body.data;
}

/** The dashboard's own formatting (web/src/format.ts formatVital). */
function fmt(metric, v) {
  if (metric === 'CLS') return v.toFixed(3);
  return Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`;
}

before(async () => {
  server = await startServer({ name: 'dashboard' });
  await post(beacons());
  profile = mkdtempSync(join(tmpdir(), 'perfwatch-dashboard-chromium-'));
  context = await launchChromium(chromium, profile, { width: 1280, height: 800 });
});

after(async () => {
  await context?.close();
  await server?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test('the overview shows each app with the p75 the API returns, page views and changes', async () => {
  const { page, errors } = await newPage(context);
  await page.goto(`${server.base}/`);
  for (const app of ['shop', 'blog']) {
    const card = page.locator(`section.app-card[data-app="${app}"]`);
    await card.waitFor();
    for (const metric of ['LCP', 'TTFB']) {
      const data = await api(`/api/v1/vitals?metric=${metric}&by=app&app=${app}&window=24h`);
      const p75 = data.groups[0].p75;
      await assert.doesNotReject(card.locator(`[data-vital="${metric}"] .big`).filter({ hasText: fmt(metric, p75) }).waitFor({ timeout: 5000 }),
        `${app} ${metric} p75 ${fmt(metric, p75)}`);
    }
    const views = (await api(`/api/v1/vitals?metric=TTFB&app=${app}&window=24h`)).groups[0].count;
    assert.match(await card.locator('.card-head').innerText(), new RegExp(`${views} page views`));
  }
  // Ratings are written out, not only coloured.
  const shopLcp = await page.locator('section.app-card[data-app="shop"] [data-vital="LCP"]').innerText();
  assert.match(shopLcp, /good|needs improvement|poor/);
  // The shop has the most page views: its card comes first.
  assert.equal(await page.locator('section.app-card').first().getAttribute('data-app'), 'shop');
  // Nothing in the previous 24 h: the change says so.
  assert.match(shopLcp, /no previous data/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the Web Vitals page shows the percentiles, breakdowns and charts the APIs return', async () => {
  const { page, errors } = await newPage(context);
  await page.goto(`${server.base}/vitals?app=shop&metric=LCP`);
  const all = (await api('/api/v1/vitals?metric=LCP&app=shop&window=24h')).groups[0];
  for (const stat of ['p50', 'p75', 'p95']) {
    await page.locator(`.tile[data-stat="${stat}"] .big`).filter({ hasText: fmt('LCP', all[stat]) }).waitFor({ timeout: 5000 });
  }
  assert.equal(await page.locator('.tile[data-stat="samples"] .big').innerText(), String(all.count));
  const byPage = (await api('/api/v1/vitals?metric=LCP&app=shop&window=24h&by=page')).groups;
  const table = page.locator('section:has(h2:text-is("By page")) table');
  await table.waitFor();
  for (const g of byPage) {
    const row = table.locator('tbody tr', { has: page.locator(`a:text-is("${g.labels.page}")`) });
    const text = await row.innerText();
    assert.ok(text.includes(fmt('LCP', g.p75)), `row ${g.labels.page}: ${text} lacks ${fmt('LCP', g.p75)}`);
    assert.ok(text.includes(String(g.count)), `row ${g.labels.page}: ${text} lacks the count ${g.count}`);
    assert.ok(text.includes(`${(g.good * 100).toFixed(0)} %`), `row ${g.labels.page}: ${text} lacks good share`);
  }
  // /b has 3 views, under the default minimum of 10: greyed and marked, /a too (8 views).
  assert.match(await table.locator('tbody tr').first().innerText(), /few views/);
  // Both charts are drawn (uPlot canvases), the histogram with its threshold markers.
  assert.equal(await page.locator('.chart canvas').count(), 2);
  const hist = (await api('/api/v1/vitals/histogram?metric=LCP&app=shop&window=24h&buckets=40'));
  assert.equal(hist.count, all.count);
  assert.match(await page.locator('section:has(h2:text-is("Distribution")) .chart').getAttribute('aria-label'), new RegExp(`${all.count} values`));
  assert.deepEqual(errors, []);
  await page.close();
});

test('the URL holds the state: a link restores metric, percentile and filters', async () => {
  const { page, errors } = await newPage(context);
  await page.goto(`${server.base}/vitals?app=shop&metric=LCP`);
  await page.locator('.tile[data-stat="p75"]').waitFor();
  // Choosing from the page changes the URL ...
  await page.getByRole('button', { name: 'INP', exact: true }).click();
  await page.getByLabel('Percentile').selectOption('95');
  await page.waitForURL(/metric=INP/);
  await page.waitForURL(/percentile=95/);
  // ... clicking a breakdown row filters by it ...
  const byPage = page.locator('section:has(h2:text-is("By page")) table');
  await byPage.locator('a:text-is("/a")').click();
  await page.waitForURL(/page=%2Fa/);
  const url = page.url();
  // ... and a fresh page at that URL shows the same view.
  const { page: again, errors: errors2 } = await newPage(context);
  await again.goto(url);
  await again.locator('.tile[data-stat="p95"]').waitFor();
  assert.equal(await again.getByRole('button', { name: 'INP', exact: true }).getAttribute('aria-pressed'), 'true');
  assert.equal(await again.getByLabel('Percentile').inputValue(), '95');
  assert.equal(await again.getByLabel('App').inputValue(), 'shop');
  await again.getByRole('button', { name: 'Remove filter page = /a' }).waitFor();
  const inp = (await api('/api/v1/vitals?metric=INP&app=shop&page=/a&window=24h&percentile=95')).groups[0];
  await again.locator('.tile[data-stat="p95"] .big').filter({ hasText: fmt('INP', inp.p95) }).waitFor({ timeout: 5000 });
  // Back in history goes back to the unfiltered view.
  await page.goBack();
  await page.waitForURL((u) => !u.searchParams.has('page'));
  assert.deepEqual([...errors, ...errors2], []);
  await page.close();
  await again.close();
});

test('a custom time range from the picker is in the URL and bounds the numbers', async () => {
  const { page, errors } = await newPage(context);
  await page.goto(`${server.base}/vitals?app=shop&metric=LCP`);
  await page.locator('.tile[data-stat="p75"]').waitFor();
  await page.locator('#window-picker').selectOption('custom');
  // The beacons are 5 to 26 minutes old: the 15 minutes ending 10 minutes ago hold some.
  const local = (ms) => new Date(ms - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  const from = Math.floor((now - 25 * 60_000) / 60_000) * 60_000;
  const to = Math.floor((now - 10 * 60_000) / 60_000) * 60_000;
  await page.getByLabel('from', { exact: true }).fill(local(from));
  await page.getByLabel('to', { exact: true }).fill(local(to));
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForURL((u) => u.searchParams.get('from') === String(from / 1000) && u.searchParams.get('to') === String(to / 1000));
  const g = (await api(`/api/v1/vitals?metric=LCP&app=shop&from=${from / 1000}&to=${to / 1000}`)).groups[0];
  assert.ok(g.count > 0 && g.count < 11, `the range holds some of the 11 LCP values: ${g.count}`);
  await page.locator('.tile[data-stat="samples"] .big').filter({ hasText: new RegExp(`^${g.count}$`) }).waitFor({ timeout: 5000 });
  await page.locator('.tile[data-stat="p75"] .big').filter({ hasText: fmt('LCP', g.p75) }).waitFor({ timeout: 5000 });
  // "to" before "from" is refused in place.
  await page.getByLabel('to', { exact: true }).fill(local(from - 3600_000));
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByText('“to” must be after “from”.').waitFor();
  assert.equal(new URL(page.url()).searchParams.get('to'), String(to / 1000));
  assert.deepEqual(errors, []);
  await page.close();
});

test('a beacon posted while the page is open appears within 2 s, without reload', async () => {
  const { page, errors } = await newPage(context);
  await page.goto(`${server.base}/vitals?app=live&metric=TTFB`);
  // An app without beacons says what to do.
  await page.getByText('No beacons yet').waitFor();
  assert.match(await page.locator('.state.empty pre').innerText(), /<script src="[^"]+\/rum\.js" data-app="live"/);
  await page.locator('header .live.on').waitFor({ timeout: 10_000 });
  const t0 = Date.now();
  await post({ app: 'live', url: 'https://example.test/x', name: 'TTFB', value: 321, id: 'live1', sessionId: 'live1', timestamp: Date.now() });
  await page.locator('.tile[data-stat="p75"] .big').filter({ hasText: '321 ms' }).waitFor({ timeout: 5000 });
  const ms = Date.now() - t0;
  assert.ok(ms <= 2000, `the beacon appeared after ${ms} ms`);
  // The overview learns the new app too.
  await page.goto(`${server.base}/`);
  await page.locator('section.app-card[data-app="live"]').waitFor();
  const t1 = Date.now();
  await post({ app: 'live', url: 'https://example.test/x', name: 'TTFB', value: 3000, id: 'live2', sessionId: 'live2', timestamp: Date.now() });
  const p75 = (await api('/api/v1/vitals?metric=TTFB&app=live&window=24h')).groups[0].p75;
  await page.locator('section.app-card[data-app="live"] [data-vital="TTFB"] .big').filter({ hasText: fmt('TTFB', p75) }).waitFor({ timeout: 5000 });
  assert.ok(Date.now() - t1 <= 2000, `the overview updated after ${Date.now() - t1} ms`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('tables export exactly what they show, as CSV and JSON', async () => {
  const { page, errors } = await newPage(context);
  await page.goto(`${server.base}/vitals?app=shop&metric=LCP`);
  const section = page.locator('section:has(h2:text-is("By device"))');
  await section.locator('table tbody tr').first().waitFor();
  const shown = await section.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.trim())));
  const [csvDl] = await Promise.all([page.waitForEvent('download'), section.getByRole('button', { name: /as CSV/ }).click()]);
  const csv = readFileSync(await csvDl.path(), 'utf8').trim().split('\r\n');
  assert.equal(csv[0], 'device,p75 (ms),views,good (%),needs impr. (%),poor (%)');
  assert.deepEqual(csv.slice(1), shown.map((r) => r.join(',')));
  const [jsonDl] = await Promise.all([page.waitForEvent('download'), section.getByRole('button', { name: /as JSON/ }).click()]);
  const json = JSON.parse(readFileSync(await jsonDl.path(), 'utf8'));
  const byDevice = (await api('/api/v1/vitals?metric=LCP&app=shop&window=24h&by=device')).groups;
  assert.equal(json.length, byDevice.length);
  for (const row of json) {
    const g = byDevice.find((x) => x.labels.device === row.device);
    assert.ok(g, `exported device ${row.device}`);
    assert.equal(row['p75 (ms)'], g.p75);
    assert.equal(row.views, g.count);
  }
  // The trend chart exports its points.
  const trend = page.locator('section:has(h2:text-is("Over time"))');
  const [chartDl] = await Promise.all([page.waitForEvent('download'), trend.getByRole('button', { name: /as JSON/ }).click()]);
  const points = JSON.parse(readFileSync(await chartDl.path(), 'utf8'));
  const series = (await api('/api/v1/vitals/series?metric=LCP&app=shop&window=24h&step=' + (await trend.locator('.tools').innerText()).match(/step (\d+) min/)[1] * 60)).series[0];
  assert.deepEqual(points.series[0].points.map((p) => p[1]), series.values);
  assert.deepEqual(errors, []);
  await page.close();
});

test('overview and Web Vitals pass axe in light and dark, desktop and phone', async () => {
  const problems = [
    ...await screenshotsAndA11y(context, `${server.base}/`, 'overview', (p) => p.locator('section.app-card').first().waitFor()),
    ...await screenshotsAndA11y(context, `${server.base}/vitals?app=shop`, 'vitals', (p) => p.locator('.chart canvas').first().waitFor()),
    ...await screenshotsAndA11y(context, `${server.base}/vitals?app=nothing-here`, 'vitals-empty', (p) => p.getByText('No beacons yet').waitFor()),
  ];
  assert.deepEqual(problems, []);
});
