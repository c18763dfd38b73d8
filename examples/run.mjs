#!/usr/bin/env node
// Runs the example application against perfwatch, so every page of the dashboard fills
// from a real app instead of the simulator (tracker issue 20). Entry point:
// scripts/demo-example (same options). Starts, in this order:
//   1. the shop API (examples/express-api, @perfwatch/node, service "shop-api");
//   2. the built React shop (examples/react-shop/dist, @perfwatch/react, app "react-shop")
//      on its own origin: /api proxied to perfwatch, /shop-api to the API (prefix cut);
//   3. perfwatch serve (data in ./demo-data-example; rules, synthetic checks of the shop);
//   4. headless Chromium "shoppers" (shopper.mjs) browsing the shop in a loop.
// Progress every 10 s; Ctrl-C (or --duration) stops everything cleanly: the browser, the
// API (SIGTERM: its last spans and metrics are flushed), the shop, then perfwatch.
// Prepares what is missing first: `npm ci` where node_modules is missing or older than the
// lock file, the SDKs' npm builds where their sources are newer, then the shop (vite build).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { leakyTab, shopperLoop, stats } from './shopper.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..');
const APP = 'react-shop';
const SERVICE = 'shop-api';

const HELP = `Usage: scripts/demo-example [options]   (or: node examples/run.mjs [options])

Runs perfwatch with the example application: the Express shop API under @perfwatch/node,
the Vite + React shop under @perfwatch/react, and headless Chromium shoppers browsing it
(catalogue, searches, product pages, orders, checkouts, a failing card payment now and
then, the leaky list). Open the dashboard while it runs; Ctrl-C stops everything.

Options:
  --perfwatch PATH    the perfwatch binary (default $PERFWATCH_BIN, else build/perfwatch,
                      else perfwatch on the PATH)
  --port N            perfwatch's port (default 9797: the dashboard at http://127.0.0.1:9797/)
  --shop-port N       the shop's port (default 5180; 0: any free port)
  --data-dir DIR      perfwatch's data (default ./demo-data-example; kept between runs)
  --duration TIME     stop after this long, e.g. 90s, 10m, 2h (default: until Ctrl-C)
  --shoppers N        shoppers browsing at once (default 2), plus one tab on the leaky page
  --leaky-stay TIME   how long the leaky tab stays before it reloads (default 3m)
  --no-build          use the shop's existing build (in --shop-dist)
  --shop-dist DIR     where the shop is built and served from (default examples/react-shop/dist)
  --chromium PATH     the browser (default $CHROMIUM, else /usr/bin/chromium)
  -h, --help          this text

Exit status: 0 after a clean stop, 1 when something could not start, 2 for a bad option.
Details: docs/integrations.md, "Run the example".`;

function fail(msg, code = 1) {
  console.error(`demo-example: ${msg}`);
  process.exit(code);
}

/** "40s", "10m", "2h", "1500ms", a plain number of seconds -> ms; NaN when bad. */
function parseDuration(s) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(s).trim());
  if (!m) return NaN;
  return +m[1] * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] || 's'];
}

let opts;
try {
  ({ values: opts } = parseArgs({
    options: {
      perfwatch: { type: 'string' },
      port: { type: 'string', default: '9797' },
      'shop-port': { type: 'string', default: '5180' },
      'data-dir': { type: 'string', default: './demo-data-example' },
      duration: { type: 'string' },
      shoppers: { type: 'string', default: '2' },
      'leaky-stay': { type: 'string', default: '3m' },
      'no-build': { type: 'boolean', default: false },
      'shop-dist': { type: 'string' },
      chromium: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (e) {
  fail(`${e.message} (see --help)`, 2);
}
if (opts.help) {
  console.log(HELP);
  process.exit(0);
}
const port = +opts.port;
const shopPort = +opts['shop-port'];
const shoppers = +opts.shoppers;
const duration = opts.duration === undefined ? Infinity : parseDuration(opts.duration);
const leakyStay = parseDuration(opts['leaky-stay']);
if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--port: "${opts.port}" is not a port`, 2);
if (!Number.isInteger(shopPort) || shopPort < 0 || shopPort > 65535) fail(`--shop-port: "${opts['shop-port']}" is not a port`, 2);
if (!Number.isInteger(shoppers) || shoppers < 0 || shoppers > 10) fail(`--shoppers: "${opts.shoppers}" is not 0..10`, 2);
if (!(duration > 0)) fail(`--duration: "${opts.duration}" is not a duration (e.g. 90s, 10m)`, 2);
if (!(leakyStay >= 10_000)) fail(`--leaky-stay: "${opts['leaky-stay']}" is not a duration of at least 10s`, 2);

const BIN = opts.perfwatch || process.env.PERFWATCH_BIN || (existsSync(join(REPO, 'build/perfwatch')) ? join(REPO, 'build/perfwatch') : 'perfwatch');
const CHROMIUM = opts.chromium || process.env.CHROMIUM || '/usr/bin/chromium';
const DATA = resolve(opts['data-dir']);
const t0 = Date.now();
const log = (line) => console.log(`[${String(Math.round((Date.now() - t0) / 1000)).padStart(4)}s] ${line}`);

// --- 0. prepare: npm ci where needed (linked SDKs first), build the shop
const mtime = (f) => (existsSync(f) ? statSync(f).mtimeMs : 0);
function npm(dir, ...args) {
  const r = spawnSync('npm', args, { cwd: join(REPO, dir), stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' } });
  if (r.status !== 0) fail(`npm ${args.join(' ')} in ${dir} failed (exit ${r.status ?? r.error?.message})`);
}
for (const dir of ['sdk/browser', 'sdk/react', 'sdk/node', 'examples/react-shop', 'examples/express-api', 'examples']) {
  const lock = join(REPO, dir, 'package-lock.json');
  if (mtime(join(REPO, dir, 'node_modules/.package-lock.json')) < mtime(lock)) {
    log(`npm ci in ${dir}`);
    npm(dir, 'ci', '--no-audit', '--no-fund', '--loglevel=error');
  }
}
const DIST = resolve(opts['shop-dist'] ?? join(REPO, 'examples/react-shop/dist'));
/** The newest modification time of the files under `dir` (0 when there is none). */
const newest = (dir) => (existsSync(dir) ? Math.max(0, ...readdirSync(dir, { recursive: true }).map((f) => mtime(join(dir, f)))) : 0);
if (!opts['no-build'] || !existsSync(join(DIST, 'index.html'))) {
  // The SDKs only when their sources changed since their build (what the shop's `npm run
  // build` would redo every time), then the shop itself.
  for (const [dir, sources] of [['sdk/browser', ['src', 'scripts']], ['sdk/react', ['src', 'scripts']]])
    if (mtime(join(REPO, dir, 'dist/index.js')) < Math.max(...sources.map((s) => newest(join(REPO, dir, s))), mtime(join(REPO, dir, 'package.json')))) {
      log(`building ${dir} (npm run build)`);
      npm(dir, 'run', '--silent', 'build');
    }
  log(`building the shop (vite build into ${DIST})`);
  npm('examples/react-shop', 'exec', '--', 'vite', 'build', '--logLevel', 'warn', '--outDir', DIST, '--emptyOutDir');
}
process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
const { chromium } = await import('playwright-core');

// --- what runs, and how it stops (in reverse order of start)
const stops = [];
let stopping;
async function stopAll(code = 0) {
  if (stopping) return stopping;
  stopping = (async () => {
    for (const stop of stops.reverse()) await stop().catch((e) => console.error(`demo-example: ${e.message}`));
    process.exit(code);
  })();
  return stopping;
}
// Whatever goes wrong later, the children are stopped rather than left running.
for (const ev of ['uncaughtException', 'unhandledRejection'])
  process.on(ev, (e) => {
    console.error(`demo-example: ${e?.stack ?? e}`);
    stopAll(1);
  });
let interrupted = 0;
for (const sig of ['SIGINT', 'SIGTERM'])
  process.on(sig, () => {
    if (interrupted++) return console.error('demo-example: still stopping (the API flushes to perfwatch; up to 10 s)');
    log(`${sig}: stopping`);
    stopAll(0);
  });

/**
 * Spawns `cmd`; resolves when `ready(its output so far)` gives a value, rejects when it exits
 * first or after `timeoutMs` (0: never); registers a stop (SIGTERM, then wait for the exit),
 * run after every other one with `stopLast` (perfwatch: the API's last flush goes to it).
 */
function start(name, cmd, args, env, ready, timeoutMs = 30_000, stopLast = false) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  child.once('error', (e) => { out += `\n${e.message}`; });
  const value = new Promise((resolve, reject) => {
    const timer = timeoutMs && setTimeout(() => reject(new Error(`${name} did not start in ${timeoutMs / 1000} s:\n${out}`)), timeoutMs);
    const check = (d) => {
      out = (out + d).slice(-20_000);  // the latest output, for the error message
      const v = ready(out);
      if (v) (clearTimeout(timer), resolve(v));
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    exited.then(({ code }) => (clearTimeout(timer), reject(new Error(`${name} exited (${code}) at start:\n${out}`))));
  });
  stops[stopLast ? 'unshift' : 'push'](async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const { code } = await exited;
    clearTimeout(t);
    log(`${name} stopped${code ? ` (exit ${code})` : ''}`);
  });
  return value;
}

const perfwatchUrl = `http://127.0.0.1:${port}`;
try {
  // --- 1. the shop API, reporting to perfwatch (which starts below: the exporters retry)
  const apiUrl = await start('shop API', process.execPath, [join(REPO, 'examples/express-api/server.js')],
    { PORT: '0', HOST: '127.0.0.1', PERFWATCH_ENDPOINT: perfwatchUrl },
    (out) => /listening on (http:\/\/\S+)/.exec(out)?.[1]);

  // --- 2. the shop: dist/ (any other path: index.html), /api -> perfwatch, /shop-api -> the API
  const site = serveShop(DIST, perfwatchUrl, apiUrl);
  await new Promise((r, j) => site.once('error', j).listen(shopPort, '127.0.0.1', r)).catch((e) => {
    throw new Error(`the shop cannot listen on port ${shopPort}: ${e.message} (try --shop-port 0)`);
  });
  stops.push(() => new Promise((r) => (site.closeAllConnections(), site.close(r))));
  const shopUrl = `http://127.0.0.1:${site.address().port}`;

  // --- 3. perfwatch, with the example's rules and checks of the shop
  mkdirSync(DATA, { recursive: true });
  const cfg = mkdtempSync(join(tmpdir(), 'perfwatch-demo-example-'));
  stops.push(async () => rmSync(cfg, { recursive: true, force: true }));
  writeFileSync(join(cfg, 'perfwatch.yml'), config(shopUrl));
  const pw = start('perfwatch', BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', DATA, '--config', join(cfg, 'perfwatch.yml')], {},
    () => null, 0, true);  // rejects only if it exits; readiness is polled
  pw.catch(() => {});
  await Promise.race([waitReady(perfwatchUrl), pw]);
  log(`perfwatch ${perfwatchUrl}/ (data in ${DATA})`);
  log(`shop API ${apiUrl} (service ${SERVICE}), shop ${shopUrl}/ (app ${APP})`);
  // Deploy markers: the dashboard's Deploy page, and release impact from here on.
  const version = JSON.parse(readFileSync(join(REPO, 'examples/react-shop/package.json'))).version;
  for (const who of [{ app: APP }, { service: SERVICE }])
    await post(`${perfwatchUrl}/api/v1/deploys`, { ...who, version, environment: 'demo' }).catch((e) => log(`deploy marker: ${e.message}`));

  // --- 4. the shoppers
  const profile = mkdtempSync(join(tmpdir(), 'perfwatch-demo-example-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    handleSIGINT: false,  // Playwright would kill the browser and exit 130: stopAll() closes it
    handleSIGTERM: false,
    handleSIGHUP: false,
    // precise memory: the heap beacons move by the byte; expose-gc: the list pages collect
    // every 5 s, so the steady page's heap stays flat and the leaky one's growth shows.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--enable-precise-memory-info', '--js-flags=--expose-gc',
           // several shopper tabs at once, all "visible": none is throttled in the background
           '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows'],
    viewport: { width: 1200, height: 800 },
  }).catch((e) => {
    throw new Error(`Chromium (${CHROMIUM}) did not start: ${e.message.split('\n')[0]} (set --chromium)`);
  });
  const abort = new AbortController();
  const loops = [];
  stops.push(async () => {
    abort.abort();
    // The visits under way end at once; neither step may hold the stop up (a browser slow
    // to exit is left to its own shutdown, and said so).
    const within = (p, ms, what) =>
      Promise.race([p.then(() => true, () => true), new Promise((r) => setTimeout(() => r(false), ms).unref())])
        .then((done) => done || log(`shoppers: ${what} took over ${ms / 1000} s; going on`));
    await within(context.close(), 10_000, 'closing the browser');
    await within(Promise.allSettled(loops), 5_000, 'ending the visits');
    rmSync(profile, { recursive: true, force: true });
    log(`shoppers stopped: ${summary()}`);
  });
  loops.push(leakyTab(context, shopUrl, abort.signal, leakyStay, log));
  for (let i = 0; i < shoppers; i++) loops.push(shopperLoop(context, shopUrl, abort.signal, log, i == 0 ? ['buy', 'card'] : ['browse']));
  log(`${shoppers} shopper${shoppers == 1 ? '' : 's'} and a leaky tab browsing; Ctrl-C stops${duration < Infinity ? `; stopping after ${opts.duration}` : ''}`);

  const progress = setInterval(async () => {
    const events = await fetch(`${perfwatchUrl}/api/v1/query?query=${encodeURIComponent(`sum(perfwatch_span_calls_total{service="${SERVICE}"})`)}`)
      .then((r) => r.json()).then((j) => Math.round(Number(j.data?.result?.[0]?.value?.[1] ?? 0))).catch(() => '?');
    log(`${summary()} · API spans stored ${events}`);
  }, 10_000);
  stops.push(async () => clearInterval(progress));
  if (duration < Infinity) setTimeout(() => (log(`--duration ${opts.duration} reached: stopping`), stopAll(0)), duration);
} catch (e) {
  console.error(`demo-example: ${e.message}`);
  await stopAll(1);
}

function summary() {
  const s = stats;
  return `${s.visits} visits, ${s.pageViews} page views, ${s.searches} searches, ${s.orders} orders, ` +
    `${s.cardFailures} failed card payments, ${s.leakyViews} leaky-page views`;
}

async function waitReady(base) {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`perfwatch (${BIN}) did not become ready on ${base} in 20 s (port in use? see --port)`);
}

async function post(url, body) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`POST ${url}: ${r.status} ${await r.text()}`);
}

/** perfwatch's configuration for the example: its rules and synthetic checks of the shop. */
function config(shopUrl) {
  return `# Written by examples/run.mjs for one run.
rule_files: [${JSON.stringify(join(HERE, 'perfwatch-rules.yml'))}]
synthetic:
  checks:
    - name: shop-home
      interval: 30s
      http: {url: ${JSON.stringify(shopUrl + '/')}}
      assert: [{status: 200}, {body_contains: "React shop"}, {max_duration: 2s}]
    - name: shop-api-products
      interval: 30s
      http: {url: ${JSON.stringify(shopUrl + '/shop-api/products')}}
      assert: [{status: 200}, {json_path: "$[0].id", equals: 1}]
`;
}

/** The shop's server: dist/ (unknown paths: index.html), /api -> perfwatch, /shop-api/* -> the API. */
function serveShop(dist, perfwatch, api) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
  const proxy = (req, res, upstream, path) => {
    const u = new URL(upstream);
    const p = request({ host: u.hostname, port: u.port, path, method: req.method, headers: { ...req.headers, host: u.host } }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    p.on('error', () => res.headersSent || res.writeHead(502).end());
    req.pipe(p);
    res.on('close', () => p.destroy());
  };
  return createServer((req, res) => {
    if (req.url.startsWith('/api/')) return proxy(req, res, perfwatch, req.url);
    if (req.url == '/shop-api' || req.url.startsWith('/shop-api/') || req.url.startsWith('/shop-api?'))
      return proxy(req, res, api, req.url.slice('/shop-api'.length) || '/');
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    let file = join(dist, path);
    if (!file.startsWith(dist) || !existsSync(file) || !extname(file)) file = join(dist, 'index.html');
    const immutable = file.includes('/assets/');
    res.writeHead(200, { 'content-type': types[extname(file)] || 'application/octet-stream', 'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache' });
    res.end(readFileSync(file));
  });
}
