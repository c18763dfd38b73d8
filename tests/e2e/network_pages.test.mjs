// End-to-end tests of the issue 16 dashboard pages (item 4) in headless Chromium against
// the real binary: Network (/network), Journeys (/journeys) and the attribution panel of
// the Web Vitals page.
//  1. an empty server: each page shows the empty state naming the extended SDK
//     (/rum.full.js), without console errors, and passes axe light/dark, desktop/phone;
//  2. beacons shaped as the full SDK's (docs: /work/notes/issue16-contracts.md,
//     sdk/browser/README.md) — resource summaries with phases, LCP / INP / CLS attribution,
//     journeys — posted straight to POST /api/rum: each page shows what the APIs
//     (GET /api/v1/network, /api/v1/journeys, /api/v1/vitals/attribution) answer, formatted
//     as the page formats them; the page picker switches pages; axe and overflow clean.
//
//   cd tests/e2e && npm ci && node --test network_pages.test.mjs
//
// Env: PERFWATCH_BIN (default <repo>/build/perfwatch), PERFWATCH_WEB_DIR, CHROMIUM, SCREENSHOT_DIR.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { launchChromium, newPage, screenshotsAndA11y, sleep, startServer } from './lib.mjs';

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
const { chromium } = await import('playwright-core');

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const CONFIG = { 'perfwatch.yml': 'scrape:\n  self_scrape: false\n' };
const T = 30_000;

let context;
let profile;

before(async () => {
  profile = mkdtempSync(join(tmpdir(), 'perfwatch-netpages-chromium-'));
  context = await launchChromium(chromium, profile, { width: 1280, height: 800 });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

// --- the pages' formatting (web/src/pages/apm-common.ts, web/src/format.ts)
function formatDurationMs(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const a = Math.abs(ms);
  if (a === 0) return '0 ms';
  if (a < 1) return `${+(ms * 1000).toPrecision(3)} µs`;
  if (a < 1000) return `${+ms.toPrecision(3)} ms`;
  if (a < 60000) return `${+(ms / 1000).toPrecision(3)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}
function formatRatio(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v === 0) return '0 %';
  const p = v * 100;
  return `${p >= 10 ? +p.toFixed(1) : +p.toPrecision(2)} %`;
}
function formatBytes(n) {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}
const formatCount = (n) => n.toLocaleString('en-US');

/**
 * Full-SDK beacons of `views` page views of https://shop.test/p/<id> (plus two of /cart):
 * a resource summary each (a render-blocking stylesheet, an uncompressed script, the LCP
 * image whose URL differs per view), LCP / INP / CLS vitals with attribution, and one
 * journey "checkout" per view (the last one failed at its second step).
 */
function beacons(now = Date.now() - 5000) {
  const out = [];
  const res = (u, t, i, s, d, phases, size, extra = {}) => ({ u, i, t, s, d, ...phases, z: size.z, e: size.e, b: size.b, p: 'h2', ...extra });
  const views = [['/p/123', 0], ['/p/456', 1], ['/p/789', 2], ['/cart', 3], ['/cart', 4]];
  for (const [path, v] of views) {
    const pv = `pv${v}`;
    const common = { sessionId: `s${v}`, pageViewId: pv, app: 'shop', url: `https://shop.test${path}`, timestamp: now - v * 1000, userAgent: UA };
    const cart = path === '/cart';
    out.push({ ...common, type: 'vital', name: 'LCP', value: 2000 + v * 500, id: `${pv}-lcp`,
      attribution: { element: cart ? 'h1.title' : 'img.hero', url: `https://shop.test/img/hero/${1000 + v}/large.jpg`, ttfb: 300, loadDelay: 400 + v * 100, loadDuration: 800 + v * 200, renderDelay: 500 + v * 200 } });
    out.push({ ...common, type: 'vital', name: 'INP', value: 300 + v * 100, id: `${pv}-inp`,
      attribution: { target: 'button#buy', type: 'pointer', inputDelay: 50, processing: 200 + v * 50, presentation: 50 + v * 50,
        scripts: [{ src: 'https://shop.test/js/app.js', fn: 'onBuy', invoker: 'BUTTON#buy.onclick', dur: 180 + v * 10 }] } });
    out.push({ ...common, type: 'vital', name: 'CLS', value: 0.12, id: `${pv}-cls`, attribution: { target: 'div.banner', time: 500, value: 0.1 } });
    const list = [
      res('https://shop.test/css/main.css', 'css', 'link', 20, 300, { dns: 5, tcp: 10, tls: 15, req: 100, res: 170 }, { z: 5000, e: 4800, b: 20000 }, { rb: 1 }),
      res('https://shop.test/js/app.js', 'script', 'script', 40, 500 + v * 100, { dns: 0, tcp: 0, tls: 0, req: 200, res: 300 + v * 100 }, { z: 90000, e: 90000, b: 90000 }),
      res(`https://shop.test/img/hero/${1000 + v}/large.jpg`, 'img', 'img', 900, 800 + v * 200, { dns: 0, tcp: 0, tls: 0, req: 300, res: 500 + v * 200 }, { z: 300000, e: 300000, b: 300000 }, cart ? {} : { lcp: 1 }),
    ];
    out.push({ ...common, type: 'slow-resources', name: 'resources', value: list.length, id: `${pv}-r`,
      summary: { byType: { css: { n: 1, transfer: 5000, encoded: 4800, decoded: 20000 }, script: { n: 1, transfer: 90000, encoded: 90000, decoded: 90000 }, img: { n: 1, transfer: 300000, encoded: 300000, decoded: 300000 } },
        firstParty: { n: 3, transfer: 395000, encoded: 394800, decoded: 410000 }, thirdParty: { n: 0, transfer: 0, encoded: 0, decoded: 0 },
        cacheHits: 0, protocols: { h2: 3 }, blocking: 1, beforeFcp: 1, beforeLcp: 2 },
      resources: list });
    const failed = v === 2;
    out.push({ ...common, type: 'journey', name: 'checkout', value: 4000 + v * 1000, id: `j-${v}`, journeyId: `${v}`,
      outcome: failed ? 'failed' : 'completed', ...(failed ? { reason: 'card declined' } : {}), target: 5000, startedAt: now - 20000,
      steps: [{ name: 'cart', t: 0, d: 1000 }, { name: 'address', t: 1000, d: 1500 + v * 500 }, ...(failed ? [] : [{ name: 'pay', t: 2500 + v * 500, d: 1500 }])] });
  }
  return out;
}

async function api(base, path) {
  const res = await fetch(base + path);
  const body = await res.json();
  assert.equal(body.status, 'success', `${path}: ${JSON.stringify(body)}`);
  return body.data;
}

/** Waits until `sel`'s text contains `want` (the page loads asynchronously). */
async function expectText(page, sel, want) {
  const loc = page.locator(sel).first();
  await loc.waitFor({ timeout: T });
  await page.waitForFunction(([s, w]) => (document.querySelector(s)?.textContent ?? '').replace(/\s+/g, ' ').includes(w), [sel, want], { timeout: T })
    .catch(async () => assert.fail(`${sel}: want “${want}”, got “${await loc.textContent()}”`));
}

const attr = (name, value) => `[${name}="${value.replace(/"/g, '\\"')}"]`;

test('empty state: each page says the extended SDK is needed', async () => {
  const server = await startServer({ name: 'netpages-empty', files: CONFIG });
  try {
    const { page, errors } = await newPage(context);
    await page.goto(`${server.base}/network`);
    await expectText(page, '[data-summary]', 'No resource timings in this window.');
    await expectText(page, '[data-summary]', '/rum.full.js');
    await page.goto(`${server.base}/journeys`);
    await expectText(page, '[data-funnels]', 'No journeys in this window.');
    await expectText(page, '[data-funnels]', 'perfwatch.journey.start(');
    assert.equal(await page.locator('table').count(), 0);
    await page.goto(`${server.base}/vitals?metric=INP`);
    await expectText(page, '[data-attribution]', 'No INP attribution in this window.');
    await page.goto(`${server.base}/vitals?metric=FCP`);
    await page.locator('[data-attribution]').waitFor({ state: 'hidden', timeout: T });
    await page.close();
    assert.deepEqual(errors, []);
    const problems = [
      ...await screenshotsAndA11y(context, `${server.base}/network`, 'network-empty', (p) => p.locator('[data-summary] .state.empty').waitFor({ timeout: T })),
      ...await screenshotsAndA11y(context, `${server.base}/journeys`, 'journeys-empty', (p) => p.locator('[data-funnels] .state.empty').waitFor({ timeout: T })),
    ];
    assert.deepEqual(problems, []);
  } finally {
    await server.stop();
  }
});

test('network, journeys and attribution show what the APIs answer', async () => {
  const server = await startServer({ name: 'netpages', files: CONFIG });
  try {
    const res = await fetch(`${server.base}/api/rum`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(beacons()) });
    assert.ok(res.status === 204 || res.status === 200, `POST /api/rum answered ${res.status}: ${await res.text()}`);
    // The events are queryable once ingested: wait for every API to see them.
    let net, journeys;
    for (let i = 0; i < 100; i++) {
      net = await api(server.base, '/api/v1/network?app=shop');
      journeys = await api(server.base, '/api/v1/journeys?app=shop');
      if (net.pages.length === 2 && journeys[0]?.started === 5) break;
      await sleep(200);
    }
    assert.equal(net.pages.length, 2, JSON.stringify(net));
    const lcpAttr = await api(server.base, '/api/v1/vitals/attribution?metric=LCP&app=shop');
    const inpAttr = await api(server.base, '/api/v1/vitals/attribution?metric=INP&app=shop');
    const clsAttr = await api(server.base, '/api/v1/vitals/attribution?metric=CLS&app=shop');
    assert.ok(lcpAttr.targets.length && inpAttr.targets.length && clsAttr.targets.length);

    const { page, errors } = await newPage(context);

    // --- Network: the product page (p/:id)
    const product = net.pages.find((p) => p.page !== '/cart');
    const cart = net.pages.find((p) => p.page === '/cart');
    assert.ok(product && cart, JSON.stringify(net.pages.map((p) => p.page)));
    await page.goto(`${server.base}/network?app=shop&page=${encodeURIComponent(product.page)}`);
    await expectText(page, 'h1', `Network: ${product.page}`);
    const s = product.summary;
    await expectText(page, '[data-summary]', `${formatCount(product.views)} page views with resource data; median view ${s.resources} resources, ${formatBytes(s.transfer_bytes)} transferred; p75 ${s.p75_resources} resources, ${formatBytes(s.p75_transfer_bytes)}; ${product.findings.length} findings.`);
    // The waterfall: one bar per resource of the median view, its phases in the table.
    assert.equal(await page.locator('.wf-row').count(), product.waterfall.length);
    for (const w of product.waterfall) {
      await expectText(page, `.wf-row${attr('data-url', w.url)} .wf-dur`, formatDurationMs(w.duration));
      const cells = await page.locator(`tr${attr('data-waterfall', w.url)} > *`).allTextContents();
      assert.deepEqual(cells.slice(2, 9), [w.start, w.duration, w.dns, w.connect, w.tls, w.request, w.response].map(formatDurationMs), w.url);
      for (const [k, v] of Object.entries({ dns: w.dns, connect: w.connect, tls: w.tls, request: w.request, response: w.response })) {
        assert.equal(await page.locator(`.wf-row${attr('data-url', w.url)} .ph-${k}`).count(), v > 0 ? 1 : 0, `${w.url} ${k}`);
      }
    }
    assert.ok(await page.locator('.wf-row.wf-lcp').count() === product.waterfall.filter((w) => w.lcp).length);
    // The resource table.
    for (const r of product.resources) {
      const cells = (await page.locator(`tr${attr('data-resource', r.url)} > *`).allTextContents()).map((x) => x.trim());
      assert.deepEqual(cells, [r.url, r.type, formatCount(r.count), formatDurationMs(r.p75_duration), formatBytes(r.p75_transfer), formatRatio(r.cache_hit_rate),
        r.compression === null ? '–' : String(+r.compression.toPrecision(4)), r.third_party ? 'yes' : 'no', r.render_blocking ? 'yes' : 'no']);
    }
    // The critical path, in order, each with its share of LCP.
    const cp = product.critical_path;
    assert.ok(cp.resources.length >= 2, JSON.stringify(cp));
    await expectText(page, '[data-critical-summary]', `Ends at ${formatDurationMs(cp.duration)}; LCP ${formatDurationMs(cp.lcp)}.`);
    const items = await page.locator('.critical-path li').allTextContents();
    assert.equal(items.length, cp.resources.length);
    cp.resources.forEach((r, i) => assert.ok(items[i].includes(`${r.url} — ${formatDurationMs(r.duration)}, ${formatRatio(r.share_of_lcp)} of LCP`), items[i]));
    // Its CSV export (issue 17: every dashboard table exports CSV) holds the same chain.
    const [cpDl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export critical-path as CSV' }).click()]);
    const cpCsv = readFileSync(await cpDl.path(), 'utf8').trim().split('\r\n');
    assert.equal(cpCsv[0], 'order,type,url,duration (ms),share of LCP');
    assert.deepEqual(cpCsv.slice(1).map((l) => l.split(',')[2]), cp.resources.map((r) => r.url));
    // Findings: each kind with its severity, message and evidence.
    assert.ok(product.findings.length >= 3, JSON.stringify(product.findings));
    const kinds = await page.locator('.finding').evaluateAll((els) => els.map((e) => e.getAttribute('data-finding')));
    assert.deepEqual(kinds, product.findings.map((f) => f.kind));
    for (const [i, f] of product.findings.entries()) {
      const el = page.locator('.finding').nth(i);
      const text = (await el.textContent()).replace(/\s+/g, ' ');
      assert.ok(text.includes(f.severity) && text.includes(f.message), text);
      const keys = await el.locator('dd').evaluateAll((els) => els.map((e) => e.getAttribute('data-key')));
      assert.deepEqual(keys, Object.keys(f.evidence));
    }
    const budget = product.findings.find((f) => f.kind === 'over_budget_critical_path');
    if (budget) await expectText(page, `${attr('data-finding', 'over_budget_critical_path')} dd[data-key="p75_critical_path_ms"]`, formatDurationMs(budget.evidence.p75_critical_path_ms));
    const blocking = product.findings.find((f) => f.kind === 'render_blocking');
    if (blocking) await expectText(page, `${attr('data-finding', 'render_blocking')} dd[data-key="p75_duration"]`, formatDurationMs(blocking.evidence.p75_duration));
    // The page picker switches to /cart (URL state) and shows its numbers.
    await page.getByRole('combobox', { name: 'Page', exact: true }).selectOption({ label: '/cart' });
    await page.waitForURL(/page=%2Fcart/, { timeout: T });
    await expectText(page, 'h1', 'Network: /cart');
    await expectText(page, '[data-summary]', `${formatCount(cart.views)} page views with resource data`);
    assert.equal(await page.locator('.wf-row').count(), cart.waterfall.length);

    // --- Journeys
    const j = journeys.find((x) => x.name === 'checkout');
    assert.ok(j, JSON.stringify(journeys));
    await page.goto(`${server.base}/journeys?app=shop`);
    const card = `[data-journey="checkout"]`;
    await expectText(page, `${card} [data-outcomes]`, `started ${j.started} · completed ${j.completed} · failed ${j.failed} · abandoned ${j.abandoned}`);
    await expectText(page, `${card} [data-durations]`, `p50 ${formatDurationMs(j.p50)} · p75 ${formatDurationMs(j.p75)} · target ${formatDurationMs(j.target)} · ${formatRatio(j.over_target_ratio)} over target`);
    await expectText(page, `${card} .card-head`, `completion ${formatRatio(j.completion_rate)}`);
    assert.equal(await page.locator(`${card} .funnel li`).count(), j.steps.length);
    const base = Math.max(1, j.started, ...j.steps.map((x) => x.reached));
    for (const st of j.steps) {
      await expectText(page, `${card} li${attr('data-step', st.name)}`, `reached ${formatCount(st.reached)} (${formatRatio(st.reached / base)}) · drop-off ${formatRatio(st.drop_off)} · p75 ${formatDurationMs(st.p75)}`);
      const marked = st.name === j.bottleneck.slowest_step || st.name === j.bottleneck.largest_drop_off;
      assert.equal(await page.locator(`${card} li.bottleneck${attr('data-step', st.name)}`).count(), marked ? 1 : 0, st.name);
    }
    await expectText(page, `${card} li${attr('data-step', j.bottleneck.slowest_step)}`, 'slowest step');
    await expectText(page, `${card} li${attr('data-step', j.bottleneck.largest_drop_off)}`, 'largest drop-off');
    // The funnel's CSV export: one record per step with its numbers.
    const [fDl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export journey-checkout-steps as CSV' }).click()]);
    const fCsv = readFileSync(await fDl.path(), 'utf8').trim().split('\r\n');
    assert.equal(fCsv[0], 'step,reached,drop-off,p75 (ms)');
    assert.deepEqual(fCsv.slice(1), j.steps.map((st) => [st.name, st.reached, st.drop_off ?? '', st.p75 ?? ''].join(',')));
    const row = (await page.locator('tr[data-journey-row="checkout"] > *').allTextContents()).map((x) => x.trim());
    assert.deepEqual(row.slice(0, 7), ['checkout', 'shop', String(j.started), String(j.completed), String(j.failed), String(j.abandoned), formatRatio(j.completion_rate)]);

    // --- Web Vitals attribution: LCP, INP (with scripts), CLS
    await page.goto(`${server.base}/vitals?app=shop`);
    for (const t of lcpAttr.targets) {
      await expectText(page, `[data-attribution] tr${attr('data-target', t.selector)}`, `TTFB ${formatDurationMs(t.subparts.ttfb)} · load delay ${formatDurationMs(t.subparts.loadDelay)} · load duration ${formatDurationMs(t.subparts.loadDuration)} · render delay ${formatDurationMs(t.subparts.renderDelay)}`);
      const cells = (await page.locator(`[data-attribution] tr${attr('data-target', t.selector)} > *`).allTextContents()).map((x) => x.trim());
      assert.deepEqual(cells.slice(0, 4), [t.selector, formatCount(t.count), formatRatio(t.share), t.p75 >= 1000 ? `${(t.p75 / 1000).toFixed(2)} s` : `${Math.round(t.p75)} ms`]);
    }
    await expectText(page, '[data-attribution] h2', 'What makes LCP slow');
    await page.getByRole('button', { name: 'INP', exact: true }).click();
    await expectText(page, '[data-attribution] h2', 'What makes INP slow');
    const inp = inpAttr.targets[0];
    await expectText(page, `[data-attribution] tr${attr('data-target', inp.selector)}`, `input delay ${formatDurationMs(inp.subparts.inputDelay)} · processing ${formatDurationMs(inp.subparts.processing)} · presentation delay ${formatDurationMs(inp.subparts.presentation)}`);
    const sc = inp.scripts[0];
    const scCells = (await page.locator(`[data-attribution] tr${attr('data-script', sc.src)} > *`).allTextContents()).map((x) => x.trim());
    assert.deepEqual(scCells, [inp.selector, sc.src, sc.fn, sc.invoker, formatCount(sc.count), formatDurationMs(sc.p75)]);
    await page.getByRole('button', { name: 'CLS', exact: true }).click();
    const cls = clsAttr.targets[0];
    await expectText(page, `[data-attribution] tr${attr('data-target', cls.selector)}`, cls.p75.toFixed(3));
    await page.close();
    assert.deepEqual(errors, []);

    const problems = [
      ...await screenshotsAndA11y(context, `${server.base}/network?app=shop&page=${encodeURIComponent(product.page)}`, 'network', (p) => p.locator('.finding').first().waitFor({ timeout: T })),
      ...await screenshotsAndA11y(context, `${server.base}/journeys?app=shop`, 'journeys', (p) => p.locator('.funnel li').first().waitFor({ timeout: T })),
      ...await screenshotsAndA11y(context, `${server.base}/vitals?app=shop&metric=INP`, 'vitals-attribution', (p) => p.locator('[data-attribution] tr[data-target]').first().waitFor({ timeout: T })),
    ];
    assert.deepEqual(problems, []);
  } finally {
    await server.stop();
  }
});
