// Dashboard benchmarks (issue 13), in headless Chromium against the real binaries:
//
//   node bench/dashboard_bench.mjs [--binary build/perfwatch] [--events 1000000] [--runs 5]
//                                  [--prometheus /usr/bin/prometheus] [--skip-prometheus] [--web-dir DIR]
//
// 1. A fresh perfwatch loaded with N vital beacons spread over the last 23 hours (the
//    generator of bench/rum_server_bench.py: 30 pages, 7 user agents, sessions of 20).
// 2. Time to first chart on the Web Vitals page (/vitals?metric=LCP, the 24 h window): from
//    navigation start to the trend chart's canvas drawn with data, cold browser cache,
//    median of --runs; and the JavaScript the page loads (bytes and gzip).
// 3. The latency of the APIs the page calls, at that size (median of 7 each).
// 4. The peer, in the same run: Prometheus' own graph page (Debian's 2.42, the classic UI)
//    drawing `rate(prometheus_http_requests_total[1m])` over one hour of its self-scrape:
//    its time to first chart and its JavaScript. Prometheus holds far less data here; the
//    comparison is of what a user waits for on each tool's chart page, not of equal work.
//
// playwright-core comes from tests/e2e/node_modules (npm ci there).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

import { freePort, launchChromium, REPO, sleep, waitReady } from '../tests/e2e/lib.mjs';

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
const { chromium } = await import(join(REPO, 'tests/e2e/node_modules/playwright-core/index.mjs'));

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const BINARY = resolve(opt('binary', join(REPO, 'build/perfwatch')));
const EVENTS = Number(opt('events', 1_000_000));
const RUNS = Number(opt('runs', 5));
const PROMETHEUS = opt('prometheus', '/usr/bin/prometheus');
const SKIP_PROM = args.includes('--skip-prometheus');
const WEB_DIR = opt('web-dir', ''); // serve the dashboard from a web/dist build instead of the embedded one

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const log = (...a) => console.error('[dashboard-bench]', ...a);

// --- the generator of bench/rum_server_bench.py, spread over 23 hours
const PAGES = Array.from({ length: 30 }, (_, i) => (i === 0 ? '/' : i < 10 ? `/products/${1000 + i}` : i < 20 ? `/blog/post-${i}` : `/account/${['orders', 'settings', 'cart', 'checkout', 'search', 'help', 'wishlist', 'returns', 'addresses', 'payment'][i - 20]}`));
const UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0',
];
const NAMES = ['LCP', 'INP', 'CLS', 'FCP', 'TTFB'];
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const lognorm = (mu, sigma) => Math.exp(mu + sigma * Math.sqrt(-2 * Math.log(rand() || 1e-9)) * Math.cos(2 * Math.PI * rand()));

async function load(base, n) {
  const now = Date.now();
  const t0 = Date.now();
  for (let sent = 0; sent < n;) {
    const parts = [];
    for (let i = 0; i < Math.min(1000, n - sent); i++) {
      const k = sent + i;
      const name = NAMES[k % 5];
      const v = name === 'CLS' ? +lognorm(-2.5, 0.8).toFixed(4) : +lognorm(7.3, 0.5).toFixed(1);
      const session = Math.floor(k / 20);
      parts.push(`{"type":"vital","name":"${name}","value":${v},"id":"v4-${k}","sessionId":"s${session}","url":"https://shop.example${PAGES[session % PAGES.length]}","timestamp":${now - Math.floor(rand() * 23 * 3_600_000)},"userAgent":"${UAS[session % UAS.length]}","connection":"4g"}`);
    }
    const res = await fetch(`${base}/api/rum?app=shop`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: `[${parts.join(',')}]` });
    if (res.status !== 204) throw new Error(`load: status ${res.status}: ${await res.text()}`);
    sent += parts.length;
    if (sent % 100_000 === 0) log(`loaded ${sent} beacons`);
  }
  return (Date.now() - t0) / 1000;
}

function start(cmd, argv, what) {
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  proc.stderr.on('data', (d) => { out += d; if (out.length > 100_000) out = out.slice(-50_000); });
  return { proc, log: () => `${what}: ${out.slice(-2000)}` };
}

/** Cold-cache loads of `url`; each returns ms from navigation start until `ready` holds, and the JS bytes loaded. */
async function firstChart(url, readyFn, runs) {
  const times = [];
  let js = { bytes: 0, gzip: 0, files: 0 };
  for (let r = 0; r < runs; r++) {
    const profile = mkdtempSync(join(tmpdir(), 'pw-dash-bench-'));
    const ctx = await launchChromium(chromium, profile, { width: 1280, height: 800 });
    const page = await ctx.newPage();
    const bodies = [];
    page.on('response', async (res) => {
      if (res.request().resourceType() === 'script') {
        try { bodies.push(await res.body()); } catch { /* an aborted request */ }
      }
    });
    await page.goto(url, { waitUntil: 'commit' });
    await page.waitForFunction(readyFn, null, { polling: 'raf', timeout: 60_000 });
    const ms = await page.evaluate(() => performance.now());
    times.push(ms);
    await page.waitForLoadState('networkidle').catch(() => {});
    js = { files: bodies.length, bytes: bodies.reduce((a, b) => a + b.length, 0), gzip: bodies.reduce((a, b) => a + gzipSync(b, { level: 9 }).length, 0) };
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  }
  return { times, median: median(times), js };
}

async function timedGet(url, reps = 7) {
  const times = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const res = await fetch(url);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${url}: ${res.status}`);
    times.push(performance.now() - t0);
  }
  return median(times);
}

const results = { events: EVENTS, runs: RUNS, date: new Date().toISOString() };
const dir = mkdtempSync(join(tmpdir(), 'pw-dash-bench-data-'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const pw = start(BINARY, ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', join(dir, 'pw'), '--log-level', 'warn',
  ...(WEB_DIR ? ['--web-dir', WEB_DIR] : [])], 'perfwatch');
let prom = null;
try {
  await waitReady(base, 'perfwatch', pw.log);
  if (!SKIP_PROM) {
    const pport = await freePort();
    writeFileSync(join(dir, 'prometheus.yml'), `global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: prometheus\n    static_configs: [{targets: ['127.0.0.1:${pport}']}]\n`);
    prom = { port: pport, ...start(PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'prom')}`, `--web.listen-address=127.0.0.1:${pport}`], 'prometheus') };
  }
  log(`loading ${EVENTS} beacons`);
  results.load_seconds = await load(base, EVENTS);
  await fetch(`${base}/api/v1/admin/flush`, { method: 'POST' });
  const stored = await (await fetch(`${base}/api/v1/vitals?metric=LCP&window=24h`)).json();
  results.lcp_events = stored.data.groups[0]?.count ?? 0;

  const q = 'app=shop&metric=LCP&window=24h';
  results.api_ms = {
    'vitals/series (step 15 min)': await timedGet(`${base}/api/v1/vitals/series?${q}&percentile=75&step=900`),
    'vitals/histogram (40 buckets)': await timedGet(`${base}/api/v1/vitals/histogram?${q}&buckets=40`),
    'vitals (no by)': await timedGet(`${base}/api/v1/vitals?${q}`),
    'vitals by=page': await timedGet(`${base}/api/v1/vitals?${q}&by=page`),
    'vitals by=browser': await timedGet(`${base}/api/v1/vitals?${q}&by=browser`),
  };
  log('API latencies', results.api_ms);

  const pwReady = () => {
    const c = document.querySelector('section.card .chart canvas');
    return !!c && c.width > 0;
  };
  results.perfwatch = await firstChart(`${base}/vitals?app=shop&metric=LCP`, pwReady, RUNS);
  log('perfwatch first chart', results.perfwatch);

  if (prom) {
    for (let i = 0; i < 200 && !(await fetch(`http://127.0.0.1:${prom.port}/-/ready`).then((r) => r.ok, () => false)); i++) await sleep(100);
    await sleep(3000); // a few self-scrapes to draw
    const expr = encodeURIComponent('rate(prometheus_http_requests_total[1m])');
    const promReady = () => !!document.querySelector('.graph svg path');
    results.prometheus = await firstChart(`http://127.0.0.1:${prom.port}/graph?g0.expr=${expr}&g0.tab=0&g0.range_input=1h`, promReady, RUNS);
    log('prometheus first chart', results.prometheus);
    results.ratio_first_chart = results.perfwatch.median / results.prometheus.median;
    results.ratio_js_gzip = results.perfwatch.js.gzip / results.prometheus.js.gzip;
  }
} finally {
  pw.proc.kill('SIGTERM');
  prom?.proc.kill('SIGTERM');
  await sleep(1000);
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify(results, null, 1));
