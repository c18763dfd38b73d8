// End-to-end test of the Explore page (/explore, issue 13): a server with known RUM beacons
// (so the rum_* histogram series hold known counts); typing part of a metric name offers
// it and the keyboard accepts it, label names and values too; the table shows what
// /api/v1/query answers; the graph draws a uPlot chart with the series in its legend; a
// bad expression shows the server's message under the box with the place marked; the URL
// restores the query and tab; live mode shows new samples without reload; no console
// errors; axe finds nothing serious in four looks. Real headless Chromium.
//
//   cd tests/e2e && PERFWATCH_WEB_DIR=/path/to/dist node --test explore.test.mjs
//
// Env: PERFWATCH_BIN, PERFWATCH_WEB_DIR, CHROMIUM, SCREENSHOT_DIR (lib.mjs).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { launchChromium, newPage, screenshotsAndA11y, sleep, startServer } from './lib.mjs';

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
const { chromium } = await import('playwright-core');

const APP = 'explore-e2e';
const PAGES = { '/': 3, '/cart': 2 }; // LCP beacons per page
let server;
let context;
let profile;

async function postBeacons(page, n, start = 0) {
  const beacons = [];
  for (let i = 0; i < n; i++) {
    beacons.push({ type: 'vital', name: 'LCP', value: 1200 + 300 * (start + i), url: `https://shop.example${page}`,
                   sessionId: `s-${page}-${start + i}`, id: `v-${page}-${start + i}`, timestamp: Date.now() });
  }
  const res = await fetch(`${server.base}/api/rum?app=${APP}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(beacons) });
  assert.ok(res.status === 204 || res.status === 200, `beacons: ${res.status}`);
}

async function api(path, params) {
  const body = await (await fetch(`${server.base}${path}?${new URLSearchParams(params)}`)).json();
  return body;
}

/** Polls the instant query until `ok(data)` (the aggregates are written asynchronously). */
async function waitQuery(q, ok, ms = 15000) {
  const t0 = Date.now();
  let last;
  while (Date.now() - t0 < ms) {
    last = await api('/api/v1/query', { query: q });
    if (last.status === 'success' && ok(last.data)) return last.data;
    await sleep(200);
  }
  assert.fail(`query ${q} never satisfied the test: ${JSON.stringify(last)}`);
}

const COUNT_BY_PAGE = `sum by (page) (rum_lcp_seconds_count{app="${APP}"})`;

before(async () => {
  server = await startServer({ name: 'explore' });
  for (const [p, n] of Object.entries(PAGES)) await postBeacons(p, n);
  await waitQuery(COUNT_BY_PAGE, (d) => d.result.length === 2 && d.result.reduce((a, r) => a + Number(r.value[1]), 0) === 5);
  profile = mkdtempSync(join(tmpdir(), 'perfwatch-explore-chromium-'));
  context = await launchChromium(chromium, profile, { width: 1280, height: 800 });
});

after(async () => {
  await context?.close();
  await server?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test('completion offers metric names, label names and values, by keyboard', async () => {
  const { page, errors } = await newPage(context);
  await page.goto(`${server.base}/explore`);
  const box = page.getByRole('combobox', { name: 'PromQL expression' });
  await box.waitFor();
  await box.click();
  await box.pressSequentially('rum_lcp_seconds_co');
  const option = page.getByRole('listbox', { name: 'Suggestions' }).getByRole('option', { name: /rum_lcp_seconds_count/ });
  await option.waitFor({ timeout: 10000 });
  assert.equal(await box.getAttribute('aria-expanded'), 'true');
  // The metadata help comes with the metric.
  assert.match(await option.textContent(), /histogram/);
  await box.press('ArrowDown');
  assert.equal(await option.getAttribute('aria-selected'), 'true');
  assert.equal(await box.getAttribute('aria-activedescendant'), await option.getAttribute('id'));
  await box.press('Enter');
  assert.equal(await box.inputValue(), 'rum_lcp_seconds_count');
  assert.equal(await box.getAttribute('aria-expanded'), 'false');
  assert.equal(new URL(page.url()).searchParams.get('q'), null, 'accepting a suggestion does not run the query');

  // Label names inside braces, for this metric.
  await box.pressSequentially('{ap');
  await page.getByRole('listbox', { name: 'Suggestions' }).getByRole('option', { name: /^app/ }).waitFor({ timeout: 10000 });
  await box.press('Tab');
  assert.equal(await box.inputValue(), 'rum_lcp_seconds_count{app');
  // Label values inside quotes; Escape closes the list, typing opens it again.
  await box.pressSequentially('="explore');
  await page.getByRole('listbox', { name: 'Suggestions' }).getByRole('option', { name: new RegExp(APP) }).waitFor({ timeout: 10000 });
  await box.press('Escape');
  assert.equal(await box.getAttribute('aria-expanded'), 'false');
  await box.pressSequentially('-');
  await page.getByRole('listbox', { name: 'Suggestions' }).getByRole('option', { name: new RegExp(APP) }).waitFor({ timeout: 10000 });
  await box.press('Tab');
  assert.equal(await box.inputValue(), `rum_lcp_seconds_count{app="${APP}"`);
  await box.pressSequentially('}');
  await box.press('Enter');
  await page.waitForURL((u) => u.searchParams.get('q') === `rum_lcp_seconds_count{app="${APP}"}`);
  await page.locator('table.data tbody tr').first().waitFor();

  // Functions get their parenthesis; label names in `by (…)`.
  await box.fill('');
  await box.pressSequentially('histogram_qu');
  await page.getByRole('listbox', { name: 'Suggestions' }).getByRole('option', { name: /histogram_quantile/ }).waitFor({ timeout: 10000 });
  await box.press('Tab');
  assert.equal(await box.inputValue(), 'histogram_quantile(');
  await box.fill('');
  await box.pressSequentially('sum by (pa');
  await page.getByRole('listbox', { name: 'Suggestions' }).getByRole('option', { name: /^page/ }).waitFor({ timeout: 10000 });
  await box.press('ArrowDown');
  await box.press('Enter');
  assert.equal(await box.inputValue(), 'sum by (page');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the table shows what /api/v1/query answers, and the URL restores it', async () => {
  const { page, errors } = await newPage(context);
  await page.goto(`${server.base}/explore?q=${encodeURIComponent(COUNT_BY_PAGE)}`);
  const rows = page.locator('table.data tbody tr');
  await rows.nth(1).waitFor();
  const want = (await api('/api/v1/query', { query: COUNT_BY_PAGE })).data.result;
  const shown = await rows.evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.trim())));
  assert.equal(shown.length, want.length);
  for (const r of want) {
    const name = `{page=${JSON.stringify(r.metric.page)}}`;
    assert.ok(shown.some(([s, v]) => s === name && v === r.value[1]), `row ${name} = ${r.value[1]} in ${JSON.stringify(shown)}`);
  }
  assert.deepEqual(want.map((r) => r.value[1]).sort(), ['2', '3']);
  // Export buttons on the table.
  assert.ok(await page.getByRole('button', { name: 'Export query-result as CSV' }).isVisible());
  // Scalars and strings have their own rows.
  await page.goto(`${server.base}/explore?q=${encodeURIComponent('scalar(sum(rum_lcp_seconds_count{app="' + APP + '"}))')}`);
  await page.locator('table.data tbody tr th', { hasText: /^5$/ }).waitFor();

  // Reload keeps query and tab.
  await page.goto(`${server.base}/explore?q=${encodeURIComponent(COUNT_BY_PAGE)}&tab=graph&window=15m`);
  await page.locator('.uplot canvas').first().waitFor();
  await page.reload();
  await page.locator('.uplot canvas').first().waitFor();
  assert.equal(await page.getByRole('combobox', { name: 'PromQL expression' }).inputValue(), COUNT_BY_PAGE);
  assert.equal(await page.getByRole('tab', { name: 'Graph' }).getAttribute('aria-selected'), 'true');
  // Back to the table tab by keyboard (tabs: arrow keys).
  await page.getByRole('tab', { name: 'Graph' }).focus();
  await page.keyboard.press('ArrowLeft');
  await page.waitForURL((u) => u.searchParams.get('tab') === null);
  await rows.nth(1).waitFor();
  assert.equal(await page.getByRole('tab', { name: 'Table' }).getAttribute('aria-selected'), 'true');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the graph draws the range query with its series in the legend; stacked and step in the URL', async () => {
  const { page, errors } = await newPage(context);
  await page.goto(`${server.base}/explore?q=${encodeURIComponent(COUNT_BY_PAGE)}&tab=graph&window=15m`);
  await page.locator('.uplot canvas').first().waitFor();
  const legend = await page.locator('.u-legend').textContent();
  assert.match(legend, /\{page="\/"\}/);
  assert.match(legend, /\{page="\/cart"\}/);
  assert.match(await page.locator('.result-info').textContent(), /2 series .* every 3s \(auto\)/);
  assert.ok(await page.getByRole('button', { name: 'Export query-graph as CSV' }).isVisible());
  await page.getByLabel('Stacked').check();
  await page.waitForURL((u) => u.searchParams.get('stacked') === '1');
  const step = page.getByLabel('Step');
  await step.fill('30s');
  await step.press('Enter');
  await page.waitForURL((u) => u.searchParams.get('step') === '30s');
  await page.locator('.result-info', { hasText: 'every 30s ·' }).waitFor();
  await page.locator('.uplot canvas').first().waitFor();
  assert.deepEqual(errors, []);
  await page.close();
});

test('a bad expression shows the server\'s message under the box, the place marked', async () => {
  const { page, errors } = await newPage(context);
  await page.goto(`${server.base}/explore`);
  const box = page.getByRole('combobox', { name: 'PromQL expression' });
  await box.fill('sum(rate(up[5m]) by');
  await box.press('Enter');
  const want = await api('/api/v1/query', { query: 'sum(rate(up[5m]) by' });
  assert.equal(want.status, 'error');
  const err = page.locator('.query-error [role=alert]');
  await err.waitFor();
  assert.ok((await err.textContent()).includes(want.error), `${await err.textContent()} has ${want.error}`);
  assert.equal(await box.getAttribute('aria-invalid'), 'true');
  if (/\d+:\d+/.test(want.error)) await page.locator('.query-error mark').waitFor();
  // Fixing it clears the error.
  await box.fill(COUNT_BY_PAGE);
  await box.press('Enter');
  await page.locator('table.data').waitFor();
  assert.equal(await err.count(), 0);
  // The page logs no console error for a 400 answer? fetch failures of 4xx are logged by
  // Chromium as "Failed to load resource"; only the page's own errors count.
  assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), []);
  await page.close();
});

test('live mode shows new samples without reload', async () => {
  const { page, errors } = await newPage(context);
  const q = `sum(rum_lcp_seconds_count{app="${APP}",page="/live"})`;
  await postBeacons('/live', 1, 100);
  await waitQuery(q, (d) => d.result.length === 1 && d.result[0].value[1] === '1');
  await page.goto(`${server.base}/explore?q=${encodeURIComponent(q)}&live=1`);
  const cell = page.locator('table.data tbody tr td').first();
  await cell.waitFor();
  assert.equal(await cell.textContent(), '1');
  await page.locator('.live-status', { hasText: /live:/ }).waitFor();
  await postBeacons('/live', 2, 101);
  await page.locator('table.data tbody tr td', { hasText: /^3$/ }).waitFor({ timeout: 20000 });
  // The graph too: its newest point follows new samples (read from the chart's JSON export).
  await page.getByRole('tab', { name: 'Graph' }).click();
  await page.locator('.uplot canvas').first().waitFor();
  const lastPoint = async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export query-graph as JSON' }).click()]);
    const body = JSON.parse(await readFile(await download.path(), 'utf8'));
    const pts = body.series[0].points;
    return pts[pts.length - 1][1];
  };
  assert.equal(await lastPoint(), 3);
  await postBeacons('/live', 1, 103);
  const t0 = Date.now();
  let last = 3;
  while (last !== 4 && Date.now() - t0 < 20000) {
    await sleep(500);
    last = await lastPoint();
  }
  assert.equal(last, 4, 'the graph shows the new sample without reload');
  assert.match(await page.locator('.live-status').textContent(), /live: updates when the result changes/, 'a watched query, not polling');
  assert.deepEqual(errors, []);
  await page.close();
});

test('screenshots and accessibility', async () => {
  const url = `${server.base}/explore?q=${encodeURIComponent(COUNT_BY_PAGE)}&tab=graph&window=15m`;
  const problems = await screenshotsAndA11y(context, url, 'explore', (p) => p.locator('.uplot canvas').first().waitFor());
  const table = await screenshotsAndA11y(context, `${server.base}/explore?q=${encodeURIComponent(COUNT_BY_PAGE)}`, 'explore-table',
                                         (p) => p.locator('table.data').waitFor());
  const open = await screenshotsAndA11y(context, `${server.base}/explore`, 'explore-completion', async (p) => {
    const box = p.getByRole('combobox', { name: 'PromQL expression' });
    await box.click();
    await box.pressSequentially('rum_l');
    await p.getByRole('listbox', { name: 'Suggestions' }).getByRole('option').first().waitFor();
    await box.press('ArrowDown');
  });
  assert.deepEqual([...problems, ...table, ...open], []);
});
