// End-to-end test of the HTML report (tracker issue 17 item 5; docs/reports.md) in headless
// Chromium against the real binary: known LCP beacons in this 12 h and the 12 h before,
// then GET /api/v1/report?app=shop&window=12h loaded as a page:
//  - no request is made while rendering other than the report itself (Playwright's
//    request events, and no failed load in the console: no script, style sheet, font,
//    image or favicon fetched);
//  - the page shows the p75 and its trend against the previous period;
//  - it is saved as a PDF (A4, print rules: a page per section) and as a full-page PNG,
//    for a person to look at, in $REPORT_OUT_DIR (default <SCREENSHOT_DIR>/reports, i.e.
//    <repo>/build/screenshots/reports): report-shop.pdf, report-shop.png.
//
//   cd tests/e2e && npm ci && node --test report.test.mjs
//
// Env: PERFWATCH_BIN (default <repo>/build/perfwatch), CHROMIUM, SCREENSHOT_DIR, REPORT_OUT_DIR.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { SCREENSHOT_DIR, launchChromium, startServer } from './lib.mjs';

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
const { chromium } = await import('playwright-core');

const OUT_DIR = process.env.REPORT_OUT_DIR || join(SCREENSHOT_DIR, 'reports');
const HOUR = 3_600_000;

let server;
let context;
let profile;

before(async () => {
  server = await startServer({ name: 'report', files: { 'perfwatch.yml': 'scrape:\n  self_scrape: false\n' } });
  profile = mkdtempSync(join(tmpdir(), 'perfwatch-report-chromium-'));
  context = await launchChromium(chromium, profile, { width: 1280, height: 900 });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await server?.stop();
});

function lcp(value, timestamp, id) {
  return { type: 'vital', name: 'LCP', value, id: `v${id}`, sessionId: `s${id}`,
           url: `https://shop.example/products/${id}`, timestamp };
}

test('the HTML report renders offline in Chromium and prints to PDF and PNG', async () => {
  const now = Date.now();
  const beacons = [];
  for (let i = 0; i < 5; i++) {
    beacons.push(lcp(2000 + 200 * i, now - 18 * HOUR, 10 + i));  // previous 12 h: p75 2600
    beacons.push(lcp(1000 + 200 * i, now - HOUR, 20 + i));       // this 12 h: p75 1600
  }
  beacons.push({ type: 'error', message: 'TypeError: x is undefined', url: 'https://shop.example/cart',
                 sessionId: 's20', timestamp: now - HOUR });
  const post = await fetch(`${server.base}/api/rum?app=shop`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(beacons),
  });
  assert.ok(post.status === 204 || post.status === 200, `POST /api/rum: ${post.status} ${await post.text()}`);

  const url = `${server.base}/api/v1/report?app=shop&window=12h`;
  const page = await context.newPage();
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  const res = await page.goto(url, { waitUntil: 'networkidle' });
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-type'], /^text\/html/);

  // The figures the beacons make.
  const text = await page.locator('body').innerText();
  assert.match(text, /Performance report: shop/);
  assert.match(text, /1,600 ms/);
  assert.match(text, /2,600 ms/);
  assert.match(text, /-38\.5%/);
  for (const section of ['summary', 'findings', 'pages', 'routes', 'changes', 'alerts', 'errors', 'budget']) {
    assert.equal(await page.locator(`section#${section}`).count(), 1, `section ${section}`);
  }
  assert.ok(await page.locator('svg').count() >= 1, 'an inline SVG chart');

  mkdirSync(OUT_DIR, { recursive: true });
  const png = join(OUT_DIR, 'report-shop.png');
  const pdf = join(OUT_DIR, 'report-shop.pdf');
  await page.screenshot({ path: png, fullPage: true });
  await page.pdf({ path: pdf, format: 'A4', printBackground: true });
  assert.ok(statSync(png).size > 10_000, 'a PNG with content');
  const bytes = readFileSync(pdf);
  assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
  const pages = (bytes.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
  assert.ok(pages >= 2, `a page break between sections (got ${pages} pages)`);

  // Nothing but the report itself was requested while loading, rendering and printing.
  assert.deepEqual(requests, [url], `requests made: ${requests.join(', ')}`);
  assert.deepEqual(errors, []);
  await page.close();
});
