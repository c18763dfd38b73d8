// The example application end to end (tracker issue 20, item 3: "an example app ... that
// the demo can start"): scripts/demo-example's runner (examples/run.mjs) starts perfwatch,
// the shop API under @perfwatch/node, the React shop under @perfwatch/react and headless
// Chromium shoppers; while it runs, perfwatch's own APIs must show for the example's app
// and service: vitals of the shop's page views, RED series for the API routes the shop
// calls, the failing card payment's error group (backend) and its unhandled rejection
// (browser), checkout journeys, and a page view's traced API call as a stored trace of the
// shop API (the browser SDK's traceparent continued by the backend). Then SIGINT (Ctrl-C)
// must stop everything: exit 0, both ports closed.
//
//   cd tests/e2e && PERFWATCH_BIN=/path/to/perfwatch node --test example_demo.test.mjs
//
// Needs node_modules in sdk/* and examples/* (the runner runs `npm ci` where missing) and
// Chromium (CHROMIUM, default /usr/bin/chromium). About 60-80 s.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { BIN, CHROMIUM, freePort, REPO, sleep } from './lib.mjs';

const APP = 'react-shop';
const SERVICE = 'shop-api';
const data = mkdtempSync(join(tmpdir(), 'perfwatch-example-e2e-'));
after(() => rmSync(data, { recursive: true, force: true }));

/** Whether something accepts connections at `url`. */
const listening = (url) => fetch(url).then(() => true, () => false);

test('the example app fills perfwatch with vitals, RED metrics, errors, journeys and linked traces; Ctrl-C stops it', { timeout: 170_000 }, async (t) => {
  assert.ok(existsSync(BIN), `perfwatch binary not found at ${BIN} (set PERFWATCH_BIN)`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // --duration: a safety net; the test stops it with SIGINT once everything is there.
  // --shop-dist: its own build of the shop (react_sdk.test.mjs may build the default one
  // at the same time: tests/e2e/run-all runs three files at a time).
  const child = spawn(process.execPath, [join(REPO, 'examples/run.mjs'), '--perfwatch', BIN, '--port', String(port), '--shop-port', '0',
    '--data-dir', join(data, 'data'), '--shop-dist', join(data, 'shop'), '--duration', '120s', '--chromium', CHROMIUM], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  t.after(() => child.exitCode === null && child.kill('SIGKILL'));

  // The runner prints the shop's and the API's addresses once everything is up.
  let shop, api;
  for (const end = Date.now() + 90_000; !shop; await sleep(200)) {
    assert.ok(Date.now() < end && child.exitCode === null, `the example did not start:\n${out}`);
    const m = /shop API (http:\S+) \(service shop-api\), shop (http:\S+)\/ /.exec(out);
    if (m) [, api, shop] = m;
  }

  const get = async (path) => {
    const r = await fetch(base + path);
    const text = await r.text();
    assert.equal(r.status, 200, `${path}: ${text}`);
    return path.startsWith('/api/v1/events/export') ? text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)) : JSON.parse(text).data;
  };
  const query = async (q) => (await get(`/api/v1/query?query=${encodeURIComponent(q)}`)).result;

  // Poll until every signal is there (the shoppers' first visits: a purchase, then a failing
  // card payment; beacons leave on pagehide or within 5 s, spans within 2 s).
  const want = {
    vitals: async () => {
      const names = new Set((await get('/api/v1/events/export?type=vital')).filter((e) => e.app === APP).map((e) => e.name));
      return ['TTFB', 'FCP', 'LCP'].every((n) => names.has(n)) && [...names];
    },
    red: async () => {
      const routes = Object.fromEntries((await query(`sum by (http_method, http_route) (perfwatch_span_calls_total{service="${SERVICE}",span_kind="SPAN_KIND_SERVER"})`))
        .map((s) => [`${s.metric.http_method} ${s.metric.http_route}`, Number(s.value[1])]));
      return ['GET /products', 'POST /orders', 'POST /checkout', 'GET /orders'].every((r) => routes[r] > 0) && routes;
    },
    backendError: async () => {
      const g = (await get(`/api/v1/errors?service=${SERVICE}`)).find((x) => x.message === 'payment provider unavailable');
      return g && g.routes.some((r) => r.route === '/checkout') && { count: g.count };
    },
    browserError: async () => {
      const g = (await get(`/api/v1/errors?app=${APP}`)).find((x) => x.source === 'browser' && /payment provider unavailable/.test(x.message));
      return g && { message: g.message, count: g.count };
    },
    journeys: async () => {
      const j = await query(`sum by (outcome) (rum_journeys_total{app="${APP}",name="checkout"})`);
      const by = Object.fromEntries(j.map((s) => [s.metric.outcome, Number(s.value[1])]));
      return by.completed > 0 && by.failed > 0 && by;
    },
    // A page view's navigation beacon lists the API calls it traced; the trace of one of them
    // is stored with the shop API's server span (the backend continued the browser's trace id).
    linkedTrace: async () => {
      for (const nav of (await get('/api/v1/events/export?type=navigation')).filter((e) => e.app === APP)) {
        const traces = nav.attributes?.traces ?? nav.traces ?? [];
        for (const tr of traces.filter((x) => x.u?.startsWith('/shop-api/'))) {
          const r = await fetch(`${base}/api/v1/traces/${tr.t}`);
          if (r.status !== 200) continue;
          const trace = (await r.json()).data;
          if (trace.services.includes(SERVICE)) return { page: nav.url, call: tr.u, traceId: tr.t, spans: trace.spanCount };
        }
      }
      return false;
    },
  };
  const got = {};
  const missing = () => Object.keys(want).filter((k) => !got[k]);
  for (const end = Date.now() + 75_000; missing().length; await sleep(2000)) {
    for (const [k, f] of Object.entries(want)) if (!got[k]) got[k] = await f();
    if (Date.now() > end) assert.fail(`missing after 75 s: ${missing().join(', ')}; got ${JSON.stringify(got)}\n${out}`);
    assert.equal(child.exitCode, null, `the example exited early:\n${out}`);
  }
  t.diagnostic(JSON.stringify(got));

  // Ctrl-C: everything stops cleanly.
  child.kill('SIGINT');
  const stop = await Promise.race([exited, sleep(30_000).then(() => null)]);
  assert.ok(stop, `not stopped 30 s after SIGINT:\n${out}`);
  assert.deepEqual(stop, { code: 0, signal: null }, out);
  assert.match(out, /shoppers stopped: \d+ visits/);
  for (const url of [base + '/readyz', shop + '/', api + '/products']) assert.equal(await listening(url), false, `${url} still answers`);
});
