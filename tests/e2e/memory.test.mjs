// End-to-end tests of the dashboard's Memory page (issue 15 item 6: "a Memory page (heap
// trends per app and page, leak findings)") in headless Chromium against the real binary:
//  1. a server with no heap series (self-scrape off) shows the empty state that says where
//     the data comes from, without console errors, and passes axe light/dark, desktop/phone;
//  2. a server with `analysis.leak` evaluating every second and no warm-up receives three
//     minutes of RUM `memory` beacons (one per second, posted at once with their past
//     timestamps): a session whose heap rises 10 %/min under a garbage-collection sawtooth
//     on /leaky, and a steady sawtooth on /home. The page shows what GET /api/v1/leaks
//     reports: the finding's severity and growth, its sessions, the heap chart with the
//     "leak since" marker; a click on another row selects it (the URL's `finding`).
//
//   cd tests/e2e && npm ci && node --test memory.test.mjs
//
// Env: PERFWATCH_BIN (default <repo>/build/perfwatch), PERFWATCH_WEB_DIR, CHROMIUM, SCREENSHOT_DIR.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { launchChromium, newPage, screenshotsAndA11y, sleep, startServer } from './lib.mjs';

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
const { chromium } = await import('playwright-core');

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const NO_SELF_SCRAPE = 'scrape:\n  self_scrape: false\n';
const LEAK_CONFIG = `${NO_SELF_SCRAPE}analysis:\n  leak:\n    interval: 1s\n    warmup: 0s\n`;

let context;
let profile;

before(async () => {
  profile = mkdtempSync(join(tmpdir(), 'perfwatch-memory-chromium-'));
  context = await launchChromium(chromium, profile, { width: 1280, height: 800 });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/**
 * One session's `memory` beacons, one a second over `seconds` up to now: a heap of 30 MB
 * growing by `ratePerMin` (compounded) under a sawtooth (the garbage collector frees
 * 1.5 MB every 8 s), plus ±18 kB of noise from a fixed sequence.
 */
function memoryBeacons({ session, path, ratePerMin, seconds = 180, endMs = Date.now() - 1000 }) {
  const out = [];
  for (let i = 0; i < seconds; i++) {
    const t = endMs - (seconds - 1 - i) * 1000;
    const trend = 30e6 * (1 + ratePerMin) ** (i / 60);
    const saw = ((i % 8) / 8) * 1.5e6;
    const noise = (((i * 7919) % 13) - 6) * 3e3;
    out.push({ type: 'memory', name: 'usedJSHeapSize', value: Math.round(trend + saw + noise), id: `${session}-m${i}`,
      total: 80e6, limit: 2e9, sessionId: session, pageViewId: `${session}-pv`, app: 'shop', url: `https://shop.test${path}`,
      timestamp: t, userAgent: UA });
  }
  return out;
}

async function postBeacons(base, beacons) {
  for (let i = 0; i < beacons.length; i += 60) {
    const res = await fetch(`${base}/api/rum`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(beacons.slice(i, i + 60)) });
    assert.ok(res.status === 204 || res.status === 200, `POST /api/rum answered ${res.status}: ${await res.text()}`);
  }
}

async function leaks(base, query = '') {
  const res = await fetch(`${base}/api/v1/leaks${query}`);
  const body = await res.json();
  assert.equal(body.status, 'success', JSON.stringify(body));
  return body.data;
}

/** The page's formatting (web/src/pages/memory.ts formatGrowthRatio). */
function growthText(r) {
  const txt = Math.abs(r * 100).toFixed(1);
  return `${txt === '0.0' ? '' : r > 0 ? '+' : '−'}${txt} %/min`;
}

test('without heap series the Memory page says where the data comes from', async () => {
  const server = await startServer({ name: 'memory-empty', files: { 'perfwatch.yml': NO_SELF_SCRAPE } });
  try {
    assert.deepEqual(await leaks(server.base), []);
    const { page, errors } = await newPage(context);
    await page.goto(`${server.base}/memory`);
    const state = page.locator('.state.empty', { hasText: 'No heap series to analyse yet' });
    await state.waitFor({ timeout: 15000 });
    const text = await state.innerText();
    for (const want of ['memoryInterval', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'docs/analysis.md#memory-leaks']) {
      assert.ok(text.includes(want), `empty state "${text}" lacks ${want}`);
    }
    assert.equal(await page.locator('.tile[data-stat="leaking"] .big').innerText(), '0');
    // The page is in the navigation, marked as the current one.
    await page.locator('nav a[href^="/memory"][aria-current="page"]').waitFor();
    assert.deepEqual(errors, []);
    await page.close();
    const problems = await screenshotsAndA11y(context, `${server.base}/memory`, 'memory-empty',
      (p) => p.locator('.state.empty', { hasText: 'No heap series to analyse yet' }).waitFor({ timeout: 15000 }));
    assert.deepEqual(problems, []);
  } finally {
    await server.stop();
  }
});

test('a leaking RUM session shows as a finding with its severity, sessions and heap chart', async () => {
  const server = await startServer({ name: 'memory-leak', files: { 'perfwatch.yml': LEAK_CONFIG } });
  try {
    await postBeacons(server.base, [
      ...memoryBeacons({ session: 's-leak', path: '/leaky', ratePerMin: 0.10 }),
      ...memoryBeacons({ session: 's-calm', path: '/home', ratePerMin: 0 }),
    ]);
    // The watcher evaluates every second: wait for its finding.
    let found;
    for (const until = Date.now() + 60000; Date.now() < until; await sleep(500)) {
      found = (await leaks(server.base, '?app=shop')).find((l) => l.source === 'rum' && l.page === '/leaky' && l.leaking);
      if (found) break;
    }
    assert.ok(found, `no leaking finding for /leaky: ${JSON.stringify(await leaks(server.base))}`);
    assert.ok(['low', 'medium', 'high', 'critical'].includes(found.severity), found.severity);
    assert.ok(found.since, 'a leaking finding has a since');

    const { page, errors } = await newPage(context);
    await page.goto(`${server.base}/memory?app=shop`);
    const row = page.locator('tr[data-finding="rum:shop:/leaky"]');
    await row.waitFor({ timeout: 15000 });
    const text = await row.innerText();
    for (const want of ['RUM', 'shop /leaky', 'usedJSHeapSize', `${found.severity} leak`, growthText(found.growth_ratio_per_min),
      `${found.sessions_leaking} / ${found.sessions}`]) {
      assert.ok(text.includes(want), `row "${text}" lacks ${want}`);
    }
    // The first finding (leaking first) is selected by default: its chart and sessions.
    const all = await leaks(server.base, '?app=shop');
    assert.equal(all[0].leaking, true);
    const leakingCount = all.filter((l) => l.leaking).length;
    assert.equal(await page.locator('.tile[data-stat="leaking"] .big').innerText(), String(leakingCount));
    assert.equal(await page.locator(`.tile[data-stat="${found.severity}"] .big`).innerText(),
      String(all.filter((l) => l.leaking && l.severity === found.severity).length));
    const firstKey = await page.locator('tbody tr[data-finding]').first().getAttribute('data-finding');
    await page.locator(`tr.selected[data-finding="${firstKey}"]`).waitFor();
    const chart = page.locator('.chart[aria-label*="leak since"]');
    await chart.waitFor({ timeout: 15000 });
    assert.ok(await chart.locator('canvas').count() >= 1, 'the heap chart draws a canvas');
    if (firstKey === 'rum:shop:/leaky') {
      await page.locator('tr[data-session^="s-leak"]').waitFor();
      assert.ok((await page.locator('tr[data-session^="s-leak"]').innerText()).includes(`${found.severity} leak`));
    }

    // A click on another row selects it and keeps the choice in the URL.
    const rows = page.locator('tbody tr[data-finding]');
    assert.ok(await rows.count() >= 2, `want two findings (/leaky and /home): ${JSON.stringify(all.map((l) => [l.page, l.leaking]))}`);
    const other = (await rows.nth(0).getAttribute('data-finding')) === 'rum:shop:/leaky' ? rows.nth(1) : rows.nth(0);
    const otherKey = await other.getAttribute('data-finding');
    await other.locator('td').nth(1).click();
    await page.waitForURL((u) => new URL(u).searchParams.get('finding') === otherKey, { timeout: 10000 });
    await page.locator(`tr.selected[data-finding="${otherKey}"]`).waitFor();
    // And the leaking one back through its link (keyboard-usable).
    await row.locator('a').first().focus();
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => new URL(u).searchParams.get('finding') === 'rum:shop:/leaky', { timeout: 10000 });
    await page.locator('h2', { hasText: 'Heap of shop /leaky' }).waitFor();
    await page.locator('tr[data-session^="s-leak"]').waitFor();
    // The state survives a reload (it is in the URL).
    await page.reload();
    await page.locator('tr.selected[data-finding="rum:shop:/leaky"]').waitFor({ timeout: 15000 });
    assert.deepEqual(errors, []);
    await page.close();

    const problems = await screenshotsAndA11y(context, `${server.base}/memory?app=shop&finding=${encodeURIComponent('rum:shop:/leaky')}`, 'memory-leak',
      (p) => p.locator('.chart[aria-label*="leak since"] canvas').first().waitFor({ timeout: 15000 }));
    assert.deepEqual(problems, []);
  } finally {
    await server.stop();
  }
});
