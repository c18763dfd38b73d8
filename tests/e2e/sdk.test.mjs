// End-to-end test of the browser SDK in real headless Chromium against a real perfwatch.
//
//   cd tests/e2e && npm ci && node --test sdk.test.mjs
//
// Env: PERFWATCH_BIN (default <repo>/build/perfwatch), CHROMIUM (default /usr/bin/chromium).
// Needs Debian's `chromium` package; playwright-core never downloads a browser.
//
// The test starts `perfwatch serve` on a free port with a fresh data dir, serves its own
// test pages from a second HTTP server on another port (so rum.js, loaded from the
// perfwatch origin, runs cross-origin exactly as on a customer's site), drives them with
// real input, navigates away (visibilitychange + pagehide flush the beacons), and reads
// the results back through GET /api/v1/vitals and GET /api/v1/events/export.
// The last test loads /rum-trace.js with tracePropagation on: the traceparent header
// reaches same-origin and configured backends, never another origin, and the navigation
// beacon lists the trace ids (plus the document's own, from Server-Timing).
// $PERFWATCH_WEB_DIR serves rum.js / rum-trace.js from that folder (--web-dir), for a
// binary built without the front-end.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { CHROMIUM, freePort, launchChromium, sleep } from './lib.mjs';
import { gzipSync } from 'node:zlib';

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
const { chromium } = await import('playwright-core');

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = process.env.PERFWATCH_BIN || join(repo, 'build/perfwatch');
const APP = 'e2e-sdk';
const UNSAMPLED_APP = 'e2e-unsampled';
const SECRET = 'token=s3cret-value';


/** Polls `fn` until it returns a truthy value or `ms` pass; returns the last value. */
async function until(fn, ms = 15000, every = 250) {
  const end = Date.now() + ms;
  let v;
  for (;;) {
    try {
      v = await fn();
    } catch (e) {
      v = undefined;
      if (Date.now() > end) throw e;
    }
    if (v || Date.now() > end) return v;
    await sleep(every);
  }
}

// ---- the page under test -------------------------------------------------------------

function testPage(rumUrl, attrs) {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>perfwatch e2e</title>
<style>
  body { font: 16px sans-serif; margin: 0; }
  #hero { font-size: 40px; line-height: 1.2; padding: 20px; }
  #buy { font-size: 24px; margin: 20px; padding: 10px 30px; }
</style>
<script>
  // The page's own view of paint timing, to compare with what the SDK reports.
  window.__observed = { lcp: [], fcp: null };
  new PerformanceObserver((l) => l.getEntries().forEach((e) => __observed.lcp.push(e.startTime)))
    .observe({ type: 'largest-contentful-paint', buffered: true });
  new PerformanceObserver((l) => l.getEntries().forEach((e) => {
    if (e.name === 'first-contentful-paint') __observed.fcp = e.startTime;
  })).observe({ type: 'paint', buffered: true });
</script>
<script src="${rumUrl}" ${attrs}></script>
</head><body>
<div id="banner-slot"></div>
<h1 id="hero">perfwatch end-to-end test page: the largest text block on the page</h1>
<p class="copy">Some ordinary text below the hero.</p>
<button id="buy" type="button">Buy now</button>
<p id="clicked"></p>
<script>
  const busy = (ms) => { const end = performance.now() + ms; while (performance.now() < end) {} };
  // A custom measure through the User Timing API.
  performance.mark('e2e-start');
  busy(5);
  performance.mark('e2e-end');
  performance.measure('e2e-measure', 'e2e-start', 'e2e-end');
  // A slow API call (fetch initiator) for the resource timings.
  fetch('/api/slow?x=1').then((r) => r.text());
  // After the first contentful paint and one more frame: content shifted before it was
  // ever painted is no layout shift (on a loaded machine load can precede the first paint).
  const painted = new Promise((resolve) => {
    new PerformanceObserver((l, o) => {
      if (l.getEntriesByName('first-contentful-paint').length) o.disconnect(), resolve();
    }).observe({ type: 'paint', buffered: true });
  }).then(() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve))));
  addEventListener('load', () => {
    setTimeout(async () => {
      await painted;
      busy(120);  // a long task
      // A layout shift: a banner pushes the content down.
      const b = document.createElement('div');
      b.style.height = '150px';
      b.textContent = 'late banner';
      document.getElementById('banner-slot').appendChild(b);
      setTimeout(() => { throw new Error('e2e boom'); });
      Promise.reject(new Error('e2e rejected'));
      if (window.perfwatch) perfwatch.measure('checkout', 123.5);
      setTimeout(() => { window.__ready = true; }, 300);
    }, 100);
  });
  document.getElementById('buy').addEventListener('click', () => {
    busy(150);  // a slow interaction: INP well above web-vitals' 40 ms event threshold
    document.getElementById('clicked').textContent = 'thanks';
  });
</script>
</body></html>`;
}

// ---- trace propagation (rum-trace.js) ---------------------------------------------------

const TRACE_APP = 'e2e-trace';
const DOC_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';  // the document's server span (Server-Timing)
const DOC_SPAN = '00f067aa0ba902b7';
const OWN_TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** A backend on its own origin that records requests; CORS allows traceparent. */
async function backend(name) {
  const s = createServer((req, res) => {
    backendRequests.push({ at: name, method: req.method, path: req.url, traceparent: req.headers.traceparent });
    res.writeHead(req.method === 'OPTIONS' ? 204 : 200, {
      'access-control-allow-origin': '*',
      'access-control-allow-headers': 'traceparent',
    });
    res.end(req.method === 'OPTIONS' ? undefined : name);
  });
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  return { server: s, origin: `http://127.0.0.1:${s.address().port}` };
}

function tracedPage() {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>perfwatch e2e: traces</title>
<script>window.perfwatch = { app: '${TRACE_APP}', tracePropagation: { origins: ['${configured.origin}'] } };</script>
<script src="${rumTrace}"></script>
</head><body><p>traced requests</p>
<script>
  const xhr = (url) => new Promise((done) => {
    const x = new XMLHttpRequest();
    x.open('GET', url);
    x.onloadend = done;
    x.send();
  });
  Promise.all([
    fetch('/api/traced/fetch?q=secret').then((r) => r.text()),
    xhr('/api/traced/xhr'),
    fetch('${configured.origin}/api/configured').then((r) => r.text()),
    fetch('${other.origin}/api/other').then((r) => r.text()),
    fetch('/api/traced/own', { headers: { traceparent: '${OWN_TP}' } }).then((r) => r.text()),
  ]).then(() => { window.__ready = true; });
</script>
</body></html>`;
}

// ---- fixtures --------------------------------------------------------------------------

let server;  // perfwatch child process
let serverLog = '';
let dataDir;
let base;  // perfwatch origin
let site;  // test page origin
let pageServer;
let proxy;  // recording proxy in front of perfwatch
let rumTrace;  // /rum-trace.js through the proxy
let configured, other;  // backends on other origins: listed in tracePropagation.origins / not
const backendRequests = [];  // {at, method, path, traceparent} of every backend request
let context;
let userDataDir;
const beaconRequests = [];  // every POST the browser sent to perfwatch (via the proxy)

before(async () => {
  assert.ok(existsSync(BIN), `perfwatch binary not found at ${BIN} (set PERFWATCH_BIN)`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found: apt-get install -y chromium`);

  dataDir = mkdtempSync(join(tmpdir(), 'pw-e2e-data-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const args = ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir];
  if (process.env.PERFWATCH_WEB_DIR) args.push('--web-dir', process.env.PERFWATCH_WEB_DIR);
  server = spawn(BIN, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout.on('data', (d) => (serverLog += d));
  server.stderr.on('data', (d) => (serverLog += d));
  const ready = await until(async () => (await fetch(base + '/readyz')).ok, 20000, 100);
  assert.ok(ready, `perfwatch did not become ready:\n${serverLog}`);

  // A recording reverse proxy in front of perfwatch: the page loads rum.js through it,
  // so the SDK's default endpoint (the origin rum.js came from) is the proxy too, and
  // every beacon body is seen here byte for byte before perfwatch gets it.
  proxy = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      if (req.method === 'POST') {
        beaconRequests.push({ url: req.url, headers: req.headers, body: body.toString('utf8') });
      }
      try {
        const headers = { ...req.headers };
        delete headers.host;
        delete headers.connection;
        delete headers['content-length'];
        const up = await fetch(base + req.url, {
          method: req.method,
          headers,
          body: ['GET', 'HEAD'].includes(req.method) ? undefined : body,
        });
        const out = Buffer.from(await up.arrayBuffer());
        const h = Object.fromEntries(up.headers);
        delete h['content-encoding'];
        delete h['content-length'];
        delete h['transfer-encoding'];
        delete h.connection;
        res.writeHead(up.status, h).end(out);
      } catch (e) {
        res.writeHead(502).end(String(e));
      }
    });
  });
  await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
  const rum = `http://127.0.0.1:${proxy.address().port}/rum.js`;
  rumTrace = `http://127.0.0.1:${proxy.address().port}/rum-trace.js`;
  configured = await backend('configured');
  other = await backend('other');
  pageServer = createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    if (u.pathname.startsWith('/api/')) {
      backendRequests.push({ at: 'site', method: req.method, path: u.pathname, traceparent: req.headers.traceparent });
    }
    if (u.pathname.startsWith('/api/traced/')) {
      setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('traced'), 20);
    } else if (u.pathname === '/traced') {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'server-timing': `db;dur=2.5, traceparent;desc="00-${DOC_TRACE}-${DOC_SPAN}-01"`,
      });
      res.end(tracedPage());
    } else if (u.pathname === '/api/slow') {
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'), 300);
    } else if (u.pathname === '/page') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(testPage(rum, `data-app="${APP}"`));
    } else if (u.pathname === '/unsampled') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(testPage(rum, `data-app="${UNSAMPLED_APP}" data-sample-rate="0"`));
    } else if (u.pathname === '/bye') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>bye</title><p>bye</p>');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => pageServer.listen(0, '127.0.0.1', r));
  site = `http://127.0.0.1:${pageServer.address().port}`;

  userDataDir = mkdtempSync(join(tmpdir(), 'pw-e2e-chromium-'));
  context = await launchChromium(chromium, userDataDir, { width: 1000, height: 700 });
});

after(async () => {
  await context?.close().catch(() => {});
  pageServer?.close();
  proxy?.close();
  configured?.server.close();
  other?.server.close();
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await Promise.race([new Promise((r) => server.once('exit', r)), sleep(5000)]);
    if (server.exitCode === null) server.kill('SIGKILL');
  }
  for (const d of [dataDir, userDataDir]) if (d) rmSync(d, { recursive: true, force: true });
});

async function getJson(path) {
  const r = await fetch(base + path);
  const text = await r.text();
  assert.equal(r.status, 200, `GET ${path}: ${r.status} ${text}`);
  return JSON.parse(text);
}

async function exportEvents(type) {
  const r = await fetch(`${base}/api/v1/events/export?type=${encodeURIComponent(type)}`);
  const text = await r.text();
  assert.equal(r.status, 200, `export ${type}: ${r.status} ${text}`);
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

/** Events of `type` from our app's pages (the data dir is fresh, but be precise). */
async function eventsOf(type, path = '/page') {
  return (await exportEvents(type)).filter((e) => String(e.url ?? '').startsWith(site + path));
}

async function vitals(metric, extra = '') {
  return getJson(`/api/v1/vitals?metric=${metric}&window=1h&app=${APP}${extra}`);
}

/** Loads `path`, waits for the page's scripted events, clicks, then navigates away. */
async function visit(path, { click = true } = {}) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${site}${path}?${SECRET}#frag`, { waitUntil: 'load' });
  await page.waitForFunction(() => window.__ready === true, null, { timeout: 10000 });
  if (click) {
    // Real input through the browser (trusted events, event timing). Pressed for a while,
    // so the pointerdown is painted and reported alone before the slow click.
    await page.hover('#buy');
    await page.mouse.down();
    await sleep(150);
    await page.mouse.up();
    await page.waitForFunction(() => document.getElementById('clicked').textContent === 'thanks');
    await sleep(500);  // let web-vitals process the interaction in an idle callback
  }
  const observed = await page.evaluate(() => window.__observed);
  // Navigating away hides the page (visibilitychange) and fires pagehide: the SDK flushes.
  await page.goto(`${site}/bye`, { waitUntil: 'load' });
  await sleep(300);
  await page.close();
  return { observed, errors };
}

// ---- tests (in order: the unsampled visit first, so its silence is clearly its own) ----

test('rum.js is served with a JavaScript content type and an ETag', async () => {
  const r = await fetch(base + '/rum.js');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /javascript/);
  const body = Buffer.from(await r.arrayBuffer());
  assert.ok(body.length > 1000);
  // The very bytes `npm run size` measured, within the budget.
  const built = join(repo, 'sdk/browser/dist/rum.js');
  if (existsSync(built)) assert.ok(body.equals(readFileSync(built)), 'served rum.js == sdk/browser/dist/rum.js');
  assert.ok(gzipSync(body, { level: 9 }).length <= 5120, 'rum.js within 5120 bytes gzipped');
  const etag = r.headers.get('etag');
  if (etag) {
    const again = await fetch(base + '/rum.js', { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304);
  }
});

test('data-sample-rate="0" sends nothing at all', async () => {
  const before = beaconRequests.length;
  const { errors } = await visit('/unsampled');
  assert.ok(errors.some((m) => m.includes('e2e boom')), 'the page did throw');
  await sleep(1000);
  assert.equal(beaconRequests.length, before, 'no request reached perfwatch');
  const v = await getJson(`/api/v1/vitals?metric=FCP&window=1h&app=${UNSAMPLED_APP}`);
  assert.deepEqual(v.data.groups, []);
});

let observed;
test('a sampled visit sends its beacons', async () => {
  ({ observed } = await visit('/page'));
  assert.ok(observed.fcp > 0, 'the page saw FCP');
  assert.ok(observed.lcp.length > 0, 'the page saw LCP');
  const ok = await until(() => beaconRequests.length > 0, 5000);
  assert.ok(ok, 'beacons were posted');
  for (const r of beaconRequests) {
    assert.equal(new URL(r.url, base).pathname, '/api/rum');
    assert.match(r.headers['content-type'] ?? '', /^text\/plain/);
    const beacons = JSON.parse(r.body);
    assert.ok(Array.isArray(beacons), 'one JSON array per flush');
    assert.ok(Buffer.byteLength(r.body) <= 60 * 1024);
    for (const b of beacons) {
      assert.equal(b.app, APP);
      assert.ok(!b.url.includes('?') && !b.url.includes('#'), `url stripped: ${b.url}`);
      assert.match(b.sessionId, /^\d+-[0-9a-z]+$/);
      assert.equal(typeof b.timestamp, 'number');
      assert.equal(typeof b.id, 'string');
      assert.equal(typeof b.value, 'number');
      assert.ok(b.userAgent.includes('Chrome'));
    }
  }
  const sessions = new Set(beaconRequests.flatMap((r) => JSON.parse(r.body).map((b) => b.sessionId)));
  assert.equal(sessions.size, 1, 'one session per tab');
});

for (const metric of ['LCP', 'FCP', 'TTFB', 'CLS', 'INP']) {
  test(`${metric} reaches /api/v1/vitals`, async () => {
    const v = await until(async () => {
      const j = await vitals(metric);
      return j.data.groups.length && j.data.groups[0].count >= 1 ? j : undefined;
    });
    assert.ok(v, `${metric} never appeared`);
    assert.equal(v.status, 'success');
    assert.equal(v.data.metric, metric);
    const g = v.data.groups[0];
    assert.equal(g.count, 1, 'one page view, counted once');
    if (metric === 'CLS') {
      assert.ok(g.value > 0 && g.value < 1, `CLS ${g.value}`);
    } else if (metric === 'INP') {
      assert.ok(g.value >= 100, `INP ${g.value} after a 150 ms handler`);
    } else {
      assert.ok(g.value > 0, `${metric} ${g.value}`);
    }
    if (metric === 'LCP' || metric === 'FCP') {
      const own = metric === 'LCP' ? observed.lcp[observed.lcp.length - 1] : observed.fcp;
      assert.ok(Math.abs(g.value - own) <= 5, `${metric}: server ${g.value}, page ${own}`);
      const [e] = await eventsOf('vital').then((es) => es.filter((x) => x.name === metric));
      assert.ok(e, `${metric} event exported`);
      assert.ok(Math.abs(e.value - own) <= 5, `${metric} event ${e.value}, page ${own}`);
    }
  });
}

test('pages are grouped by path, query strings stripped', async () => {
  const v = await vitals('FCP', '&by=page');
  assert.deepEqual(
    v.data.groups.map((g) => g.labels.page),
    ['/page'],
  );
  const all = await exportEvents('vital');
  assert.ok(all.length >= 5);
  for (const e of all) {
    assert.ok(!String(e.url).includes('s3cret'), `url kept the query: ${e.url}`);
    assert.ok(!String(e.url).includes('#'), `url kept the fragment: ${e.url}`);
  }
});

test('LCP and INP carry attribution selectors', async () => {
  const posted = beaconRequests.flatMap((r) => JSON.parse(r.body));
  const lcp = posted.find((b) => b.name === 'LCP');
  assert.equal(lcp.attribution?.element, 'h1#hero');
  const inp = posted.find((b) => b.name === 'INP');
  assert.equal(inp.attribution?.target, 'button#buy');
});

// When a page is hidden web-vitals reports the final CLS and LCP, and INP from
// interactions still waiting for an idle callback (the slow click after an 8 ms
// pointerdown reported alone), each in a listener of its own. Sent in a request per
// listener, reports of one id could reach the server out of order, and of reports made in
// the same millisecond it keeps the last to arrive (the CI run of stop 43 stored INP 8 for
// a 150 ms click). The visit lasts less than the batch timer's 5 s, so all of a page
// view's vitals leave in one request.
test('a page being hidden sends its vitals in one request, each final value last', async () => {
  const bodies = beaconRequests.map((r) => JSON.parse(r.body));
  const final = (b) => ['CLS', 'LCP', 'INP'].includes(b.name);
  const views = new Set(bodies.flat().filter((b) => b.name === 'INP').map((b) => b.pageViewId));
  assert.ok(views.size >= 1, 'an INP was reported');
  for (const view of views) {
    const carrying = bodies.filter((bs) => bs.some((b) => final(b) && b.pageViewId === view));
    const sent = carrying.map((bs) => bs.filter((b) => final(b) && b.pageViewId === view).map((b) => `${b.name} ${b.value}`));
    assert.equal(carrying.length, 1, `CLS, LCP and INP in ${carrying.length} requests: ${JSON.stringify(sent)}`);
    const inp = carrying[0].filter((b) => b.name === 'INP' && b.pageViewId === view).map((b) => b.value);
    assert.equal(inp.at(-1), Math.max(...inp), JSON.stringify(inp));
    assert.ok(inp.at(-1) >= 100, `INP ${inp.at(-1)} after a 150 ms handler`);
  }
});

test('JS errors and unhandled rejections arrive', async () => {
  const errs = await until(async () => {
    const es = await eventsOf('error');
    return es.length ? es : undefined;
  });
  assert.ok(errs, 'error event exported');
  const boom = errs.find((e) => String(e.name).includes('e2e boom'));
  assert.ok(boom, JSON.stringify(errs));
  const rej = await eventsOf('unhandled-rejection');
  assert.ok(rej.some((e) => String(e.name).includes('e2e rejected')), JSON.stringify(rej));
});

test('long tasks arrive', async () => {
  const lt = await eventsOf('long-task');
  assert.ok(lt.some((e) => e.value >= 100), JSON.stringify(lt));
});

test('resource timings include the slow fetch()', async () => {
  const rs = await eventsOf('slow-resources');
  assert.ok(rs.length >= 1, 'a slow-resources event');
  const text = JSON.stringify(rs);
  assert.ok(text.includes('/api/slow'), text);
  assert.ok(!text.includes('x=1'), 'resource URLs are stripped too');
  // From the beacons the browser sent: the compact entry of the API call.
  const posted = beaconRequests.flatMap((r) => JSON.parse(r.body));
  const res = posted.filter((b) => b.type === 'slow-resources').flatMap((b) => b.resources);
  const api = res.find((r) => r.u.endsWith('/api/slow'));
  assert.equal(api.i, 'fetch');
  assert.ok(api.d >= 250, `fetch took ${api.d} ms`);
});

test('custom measures arrive: performance.measure() and perfwatch.measure()', async () => {
  const ms = await eventsOf('measure');
  const names = ms.map((e) => e.name);
  assert.ok(names.includes('e2e-measure'), JSON.stringify(ms));
  const checkout = ms.find((e) => e.name === 'checkout');
  assert.ok(checkout, JSON.stringify(ms));
  assert.equal(checkout.value, 123.5);
});

test('navigation timing arrives', async () => {
  const nav = await eventsOf('navigation');
  assert.equal(nav.length, 1);
  assert.ok(nav[0].value > 0);
});

test('overhead: under 1 ms of main-thread time per metric', async () => {
  const page = await context.newPage();
  await page.goto(`${site}/page`, { waitUntil: 'load' });
  await page.waitForFunction(() => window.__ready === true);
  // Seven rounds of 200 metrics, each queued then flushed; the median round is the
  // figure. One round on a loaded 2-core machine can be descheduled mid-loop (CI run
  // 57 measured 1.33 ms once against 0.04-0.1 ms in every other run); a median of
  // seven needs four slow rounds to move, so the 1 ms bound holds the SDK, not the
  // scheduler, to account.
  const rounds = await page.evaluate(() => {
    const n = 200;
    const out = [];
    for (let r = 0; r < 7; r++) {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) perfwatch.measure('overhead-' + (i % 10), i);
      const t1 = performance.now();
      perfwatch.flush();  // serialise, split and hand to sendBeacon
      const t2 = performance.now();
      out.push({ perMetric: (t2 - t0) / n, queue: (t1 - t0) / n, flush: t2 - t1 });
    }
    return out;
  });
  await page.close();
  const cost = [...rounds].sort((a, b) => a.perMetric - b.perMetric)[3];
  console.log(`SDK cost per metric, median of 7 rounds: ${cost.perMetric.toFixed(4)} ms (queue ${cost.queue.toFixed(4)} ms, one flush of 200: ${cost.flush.toFixed(2)} ms); rounds: ${rounds.map((r) => r.perMetric.toFixed(4)).join(' ')}`);
  assert.ok(cost.perMetric < 1, JSON.stringify(rounds));
});

test('rum-trace.js: traceparent to same-origin and configured backends only; the page view lists the ids', async () => {
  const served = await fetch(base + '/rum-trace.js');
  assert.equal(served.status, 200, 'perfwatch serves /rum-trace.js');
  const built = join(repo, 'sdk/browser/dist/rum-trace.js');
  if (existsSync(built)) {
    assert.ok(Buffer.from(await served.arrayBuffer()).equals(readFileSync(built)), 'served == dist/rum-trace.js');
  }
  // rum.js (no trace propagation) left the earlier page's API call alone.
  const slow = backendRequests.find((r) => r.path === '/api/slow');
  assert.ok(slow && slow.traceparent === undefined, JSON.stringify(slow));

  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${site}/traced`, { waitUntil: 'load' });
  await page.waitForFunction(() => window.__ready === true, null, { timeout: 10000 });
  await sleep(200);
  await page.goto(`${site}/bye`, { waitUntil: 'load' });  // hidden + pagehide: flush
  await page.close();
  assert.deepEqual(errors, []);

  const TP = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;
  const got = (at, path) => backendRequests.filter((r) => r.at === at && r.path.startsWith(path) && r.method !== 'OPTIONS');
  const [f] = got('site', '/api/traced/fetch');
  const [x] = got('site', '/api/traced/xhr');
  const [c] = got('configured', '/api/configured');
  const [o] = got('other', '/api/other');
  const [own] = got('site', '/api/traced/own');
  assert.match(f?.traceparent ?? '', TP, 'same-origin fetch');
  assert.match(x?.traceparent ?? '', TP, 'same-origin XMLHttpRequest');
  assert.match(c?.traceparent ?? '', TP, 'configured origin');
  assert.ok(o, 'the other origin was called');
  assert.equal(o.traceparent, undefined, 'never to another origin');
  assert.equal(own?.traceparent, OWN_TP, "the page's own traceparent is left alone");
  const ids = [f, x, c].map((r) => TP.exec(r.traceparent)[1]);
  assert.equal(new Set(ids).size, 3, 'a new trace per request');

  // The navigation beacon as the browser posted it...
  const nav = await until(() =>
    beaconRequests.flatMap((r) => JSON.parse(r.body)).find((b) => b.app === TRACE_APP && b.type === 'navigation'));
  assert.ok(nav, 'navigation beacon posted');
  assert.equal(nav.traceId, DOC_TRACE, "the document's trace, from Server-Timing");
  assert.equal(nav.spanId, DOC_SPAN);
  const byId = Object.fromEntries(nav.traces.map((t) => [t.t, t]));
  assert.equal(nav.traces.length, 3, JSON.stringify(nav.traces));
  assert.deepEqual(ids.map((id) => byId[id]?.u), ['/api/traced/fetch', '/api/traced/xhr', '/api/configured']);
  for (const t of nav.traces) assert.ok(t.d >= 15 || t.u === '/api/configured', `duration ${JSON.stringify(t)}`);
  // ...and as perfwatch stored it (unknown beacon fields are kept: docs/ingest.md).
  const stored = await until(async () => (await eventsOf('navigation', '/traced'))[0]);
  assert.ok(stored, 'navigation event exported');
  assert.equal(stored.traceId, DOC_TRACE);
  assert.deepEqual(stored.traces.map((t) => t.t).sort(), [...ids].sort());
});
