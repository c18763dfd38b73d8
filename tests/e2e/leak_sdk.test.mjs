// A real memory leak, found end to end (issue 15 "How it is checked": "a page in Chromium
// that leaks detached DOM nodes, reported through the SDK"):
//
//   cd tests/e2e && node --test leak_sdk.test.mjs
//
// Two pages load rum.js from perfwatch with data-memory-interval="1000" in real headless
// Chromium (--enable-precise-memory-info, else performance.memory is coarse and cached;
// --js-flags=--expose-gc so both pages collect every 5 s):
// /leaky removes list items from the document but, from its 30th second, keeps them with
// their data in an array (the classic detached-DOM leak); /steady builds and drops the same amount of DOM
// and garbage. perfwatch evaluates leaks every second; GET /api/v1/leaks must report /leaky
// as leaking with a growth close to what the page itself measures, and /steady not.
// Env: PERFWATCH_BIN, CHROMIUM, PERFWATCH_WEB_DIR (see lib.mjs).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { launchChromium, sleep, startServer } from './lib.mjs';

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
const { chromium } = await import('playwright-core');

const APP = 'e2e-leak';
let server, site, context, profile;

function page(rumUrl, leaks) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${leaks ? 'leaky' : 'steady'}</title>
<script src="${rumUrl}" data-app="${APP}" data-memory-interval="1000"></script>
</head><body><h1>${leaks ? 'A list that leaks' : 'A list that does not'}</h1><ul id="list"></ul>
<script>
  const kept = [];
  const list = document.getElementById('list');
  const started = Date.now();
  window.__leakStart = started + 30000;
  window.__heap = [];
  setInterval(() => {
    // 10 items with 500 numbers each (~4 KB apiece): rendered, then removed. The leaky
    // page keeps them from its 30th second on (as a view opened and closed again and
    // again would): about 10 MB a minute.
    for (let i = 0; i < 10; i++) {
      const li = document.createElement('li');
      li.textContent = 'row ' + i;
      li.data = Array.from({ length: 500 }, () => Math.random());
      list.appendChild(li);
    }
    const removed = [...list.children];
    list.replaceChildren();
    ${leaks ? 'if (Date.now() - started > 30000) kept.push(...removed);  // detached, still referenced: the leak' : ''}
  }, 250);
  setInterval(() => performance.memory && __heap.push([Date.now(), performance.memory.usedJSHeapSize]), 1000);
  // A full collection every 5 s (--js-flags=--expose-gc): left alone, V8 may not collect
  // a growing heap for minutes, and only a collection that frees nothing proves a leak
  // (tests/analysis/leak_test.cc's RealChromiumHeap case shows that slower path).
  setInterval(() => window.gc && window.gc(), 5000);
</script></body></html>`;
}

before(async () => {
  server = await startServer({
    name: 'leak-sdk',
    files: { 'perfwatch.yml': 'scrape:\n  self_scrape: false\nanalysis:\n  leak:\n    interval: 1s\n    warmup: 10s\n' },
  });
  const rum = `${server.base}/rum.js`;
  site = createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    if (u.pathname === '/leaky' || u.pathname === '/steady') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(page(rum, u.pathname === '/leaky'));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => site.listen(0, '127.0.0.1', r));
  profile = mkdtempSync(join(tmpdir(), 'pw-leak-chromium-'));
  context = await launchChromium(chromium, profile, { width: 800, height: 600 }, ['--enable-precise-memory-info', '--js-flags=--expose-gc']);
});

after(async () => {
  await context?.close();
  site?.close();
  await server?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test('a page that leaks detached DOM nodes is reported, a steady one is not', { timeout: 240_000 }, async (t) => {
  const origin = `http://127.0.0.1:${site.address().port}`;
  const leaky = await context.newPage();
  const steady = await context.newPage();
  await leaky.goto(`${origin}/leaky`);
  await steady.goto(`${origin}/steady`);

  let found;
  let last;
  const end = Date.now() + 180_000;
  while (Date.now() < end) {
    await sleep(2000);
    const r = await fetch(`${server.base}/api/v1/leaks?app=${APP}&source=rum`);
    assert.equal(r.status, 200);
    last = (await r.json()).data;
    found = last.find((f) => f.page === '/leaky' && f.leaking);
    if (found) break;
  }
  if (process.env.LEAK_DUMP) {  // the heap series the pages measured, for tests/analysis/testdata
    writeFileSync(process.env.LEAK_DUMP, JSON.stringify({ leakStart: await leaky.evaluate(() => window.__leakStart),
      leaky: await leaky.evaluate(() => window.__heap), steady: await steady.evaluate(() => window.__heap) }));
  }
  assert.ok(found, `no leak reported for /leaky within 3 minutes: ${JSON.stringify(last)?.slice(0, 2000)}\n${server.log().slice(-2000)}`);
  const leakStart = await leaky.evaluate(() => window.__leakStart);
  t.diagnostic(`reported ${((Date.parse(found.evaluated_at) - leakStart) / 1000).toFixed(1)} s after the leak started; since ${found.since}`);
  assert.equal(found.app, APP);
  assert.equal(found.metric, 'usedJSHeapSize');
  assert.equal(found.sessions_leaking, 1);
  assert.ok(['medium', 'high', 'critical'].includes(found.severity), found.severity);
  assert.ok(found.sessions_detail[0].leaking);
  assert.ok(found.points.length >= 12, `points: ${found.points.length}`);

  // The growth the page measured itself over the same span, in bytes per minute.
  const heap = await leaky.evaluate(() => window.__heap);

  const [t0, v0] = heap[Math.max(0, heap.length - 30)];
  const [t1, v1] = heap[heap.length - 1];
  const measured = ((v1 - v0) / (t1 - t0)) * 60_000;
  assert.ok(measured > 0, `the page's heap did not grow: ${JSON.stringify(heap.slice(-5))}`);
  assert.ok(found.growth_bytes_per_min > measured / 3 && found.growth_bytes_per_min < measured * 3,
            `growth ${found.growth_bytes_per_min} B/min vs ${measured} B/min measured by the page`);

  const steadyFinding = last.find((f) => f.page === '/steady');
  assert.ok(steadyFinding, `/steady was not analysed: ${JSON.stringify(last.map((f) => [f.page, f.sessions]))}`);
  assert.equal(steadyFinding.leaking, false, JSON.stringify(steadyFinding).slice(0, 600));
  assert.equal(steadyFinding.sessions_leaking, 0);

  // The series for rules.
  const q = await fetch(`${server.base}/api/v1/query?query=${encodeURIComponent(`perfwatch_memory_leak_active{app="${APP}"}`)}`);
  const series = (await q.json()).data.result;
  const byPage = Object.fromEntries(series.map((s) => [s.metric.page, s.value[1]]));
  assert.equal(byPage['/leaky'], '1');
  assert.equal(byPage['/steady'], '0');
});
