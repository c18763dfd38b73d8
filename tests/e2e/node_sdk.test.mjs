// @perfwatch/node end to end (tracker issue 20, "How it is checked": "The example Express app
// under @perfwatch/node with a scripted request mix: RED counts per route equal the
// script's"). The real perfwatch runs with API tokens; the example shop API
// (examples/express-api/server.js, one line of `require('@perfwatch/node').start(...)`)
// runs as its own process with PERFWATCH_ENDPOINT / PERFWATCH_TOKEN, a scripted request mix
// is sent, the app is stopped with SIGTERM (its handler awaits perfwatch.shutdown(), which
// flushes), then perfwatch's RED series per route, its error groups and the Node runtime
// series (the ones the leak detector reads) must match the script exactly.
// Also: with perfwatch down the app starts, serves and stops within the shutdown timeout.
//
//   (cd sdk/node && npm ci) && (cd examples/express-api && npm ci)
//   cd tests/e2e && node --test node_sdk.test.mjs
//
// Env: PERFWATCH_BIN (default <repo>/build/perfwatch).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { BIN, REPO, freePort, startServer } from './lib.mjs';

const APP_DIR = join(REPO, 'examples/express-api');
const SERVICE = 'shop-api';  // the example's start({ service })
const INGEST_TOKEN = 'node-sdk-e2e-ingest-token-0123456789';
const READ_TOKEN = 'node-sdk-e2e-read-token-0123456789';
const sha256 = (s) => createHash('sha256').update(s).digest('hex');

// The script: how many of each request, interleaved below.
const LIST = 37;  // GET /products?q=... -> 200
const ITEM = 11;  // GET /products/:id, ids 1..11 (all different) -> 200
const FAIL = 5;  // POST /checkout -> the handler throws -> 500
const ORDER = 7;  // POST /orders -> 201
const SLOW = 3;  // GET /reports/sales -> 200 after 150-250 ms

/** The server-span label sets perfwatch must report for the script, with their counts. */
const EXPECTED = [
  { labels: { span_name: 'GET /products', http_route: '/products', http_method: 'GET', http_status_class: '2xx', status_code: 'STATUS_CODE_UNSET' }, count: LIST },
  { labels: { span_name: 'GET /products/:id', http_route: '/products/:id', http_method: 'GET', http_status_class: '2xx', status_code: 'STATUS_CODE_UNSET' }, count: ITEM },
  { labels: { span_name: 'POST /checkout', http_route: '/checkout', http_method: 'POST', http_status_class: '5xx', status_code: 'STATUS_CODE_ERROR' }, count: FAIL },
  { labels: { span_name: 'POST /orders', http_route: '/orders', http_method: 'POST', http_status_class: '2xx', status_code: 'STATUS_CODE_UNSET' }, count: ORDER },
  { labels: { span_name: 'GET /reports/sales', http_route: '/reports/sales', http_method: 'GET', http_status_class: '2xx', status_code: 'STATUS_CODE_UNSET' }, count: SLOW },
];

let perfwatch;
before(async () => {
  assert.ok(existsSync(BIN), `perfwatch binary not found at ${BIN} (set PERFWATCH_BIN)`);
  assert.ok(existsSync(join(REPO, 'sdk/node/node_modules')), 'cd sdk/node && npm ci');
  assert.ok(existsSync(join(APP_DIR, 'node_modules')), 'cd examples/express-api && npm ci');
  perfwatch = await startServer({
    name: 'node-sdk',
    files: {
      'perfwatch.yml': `auth:
  tokens:
    - name: shop-api
      token_sha256: ${sha256(INGEST_TOKEN)}
      scopes: [ingest]
    - name: reader
      token_sha256: ${sha256(READ_TOKEN)}
      scopes: [read]
`,
    },
  });
});
after(async () => {
  await perfwatch?.stop();
});

/**
 * Starts the example app (`node server.js`) with `env`; resolves once it prints its
 * address. Returns {base, pid, stop() -> {code, signal, stderr, ms}}.
 */
async function startApp(env) {
  const child = spawn(process.execPath, ['server.js'], {
    cwd: APP_DIR,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the app did not start in 30 s: ${stdout} ${stderr}`)), 30000);
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = /listening on (http:\/\/[^\s]+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    exited.then(({ code }) => reject(new Error(`the app exited (${code}): ${stderr}`)));
  });
  return {
    base,
    pid: child.pid,
    async stop() {
      const t0 = Date.now();
      child.kill('SIGTERM');  // the app's handler: server.close(), await perfwatch.shutdown(), exit 0
      const { code, signal } = await exited;
      return { code, signal, stderr, ms: Date.now() - t0 };
    },
  };
}

/** Sends the scripted mix, interleaved; checks each answer's status. */
async function runScript(base) {
  const plan = [];
  for (let i = 0; i < LIST; i++) plan.push(['GET', i % 3 ? '/products' : `/products?q=${'abc'[i % 3]}`, 200]);
  for (let i = 0; i < ITEM; i++) plan.splice(i * 3 + 1, 0, ['GET', `/products/${i + 1}`, 200]);
  for (let i = 0; i < FAIL; i++) plan.splice(i * 8 + 2, 0, ['POST', '/checkout', 500]);
  for (let i = 0; i < ORDER; i++) plan.splice(i * 6 + 4, 0, ['POST', '/orders', 201]);
  for (let i = 0; i < SLOW; i++) plan.splice(i * 17 + 9, 0, ['GET', '/reports/sales', 200]);
  assert.equal(plan.length, LIST + ITEM + FAIL + ORDER + SLOW);
  for (const [method, path, status] of plan) {
    const r = await fetch(base + path, {
      method,
      headers: method === 'POST' ? { 'content-type': 'application/json' } : {},
      body: method === 'POST' ? JSON.stringify({ items: [{ product: path.length, qty: 1 }] }) : undefined,
    });
    await r.arrayBuffer();
    assert.equal(r.status, status, `${method} ${path}`);
  }
}

async function api(path) {
  const r = await fetch(perfwatch.base + path, { headers: { authorization: `Bearer ${READ_TOKEN}` } });
  const j = await r.json();
  assert.equal(j.status, 'success', `${path}: ${JSON.stringify(j)}`);
  return j.data;
}

/** An instant PromQL query through perfwatch's API; returns the result vector. */
const query = async (q) => (await api(`/api/v1/query?query=${encodeURIComponent(q)}`)).result;

const key = (labels) => JSON.stringify(Object.fromEntries(Object.entries(labels).sort()));

/** The series of `metric` for the service's server spans, keyed by their label set. */
async function serverSeries(metric) {
  const out = new Map();
  for (const s of await query(`${metric}{service="${SERVICE}",span_kind="SPAN_KIND_SERVER"}`)) {
    const { __name__, service, span_kind, ...labels } = s.metric;
    out.set(key(labels), Number(s.value[1]));
  }
  return out;
}

test('the example Express app under @perfwatch/node: RED counts per route, errors and runtime series equal the script', async () => {
  const app = await startApp({ PERFWATCH_ENDPOINT: perfwatch.base, PERFWATCH_TOKEN: INGEST_TOKEN });
  await runScript(app.base);
  const stopped = await app.stop();
  assert.equal(stopped.code, 0, `the app exits 0 after SIGTERM: ${stopped.stderr}`);
  // Any failed export (a 401 for the token, a 400, a timeout) is reported on stderr.
  assert.doesNotMatch(stopped.stderr, /@perfwatch\/node/, 'no export failure was reported');

  // RED: exactly the script, per route, method, status class and span status.
  const want = new Map(EXPECTED.map((e) => [key(e.labels), e.count]));
  assert.deepEqual(await serverSeries('perfwatch_span_calls_total'), want, 'perfwatch_span_calls_total per label set');
  assert.deepEqual(await serverSeries('perfwatch_span_duration_seconds_count'), want, 'perfwatch_span_duration_seconds_count per label set');

  // Errors per route: the failing requests, and nothing else.
  const errors = await query(`sum by (http_route) (perfwatch_span_calls_total{service="${SERVICE}",span_kind="SPAN_KIND_SERVER",status_code="STATUS_CODE_ERROR"})`);
  assert.deepEqual(errors.map((s) => [s.metric.http_route, Number(s.value[1])]), [['/checkout', FAIL]], 'error counts per route');
  // One error occurrence per failed request (the handler's exception event), in one group.
  const occurrences = await query(`sum(perfwatch_error_events_total{service="${SERVICE}",source="backend"})`);
  assert.equal(Number(occurrences[0]?.value[1]), FAIL, 'perfwatch_error_events_total: one occurrence per failed request');
  const groups = await api(`/api/v1/errors?service=${SERVICE}`);
  assert.equal(groups.length, 1, `one error group: ${JSON.stringify(groups)}`);
  assert.equal(groups[0].message, 'payment provider unavailable');
  assert.equal(groups[0].count, FAIL);
  assert.deepEqual(groups[0].routes.map((r) => [r.route, r.count]), [['/checkout', FAIL]]);

  // The slow route is slow in perfwatch's durations (the handler waits 150-250 ms).
  const slow = await query(`perfwatch_span_duration_seconds_sum{service="${SERVICE}",http_route="/reports/sales"}`);
  assert.ok(Number(slow[0].value[1]) / SLOW >= 0.15, `mean /reports/sales duration ${slow[0].value[1] / SLOW} s`);

  // The SDK's own HTTP server metric (OTLP metrics, flushed at shutdown) counts the same.
  const own = {};
  for (const s of await query(`http_server_request_duration_seconds_count{job="${SERVICE}"}`)) {
    const k = `${s.metric.http_request_method} ${s.metric.http_route} ${s.metric.http_response_status_code}`;
    own[k] = (own[k] ?? 0) + Number(s.value[1]);
  }
  assert.deepEqual(own, {
    'GET /products 200': LIST,
    'GET /products/:id 200': ITEM,
    'POST /checkout 500': FAIL,
    'POST /orders 201': ORDER,
    'GET /reports/sales 200': SLOW,
  });

  // Runtime series, with the app's process as `instance`: the heap series under the leak
  // detector's default expression, event-loop lag and utilisation, GC.
  const instance = `${hostname()}:${app.pid}`;
  const heap = await query(`sum by (job, instance) (v8js_memory_heap_used_bytes{job="${SERVICE}"})`);
  assert.deepEqual(heap.map((s) => s.metric), [{ job: SERVICE, instance }], 'one heap series for the app process');
  assert.ok(Number(heap[0].value[1]) > 1e6, 'heap in use is in bytes (more than 1 MB)');
  // Heap total: instrumentation-runtime-node 0.36 sends v8js.memory.heap.space.size (an
  // up-down counter per heap space, stored as a gauge), not v8js.memory.heap.limit.
  const total = await query(`sum(v8js_memory_heap_space_size_bytes{job="${SERVICE}"})`);
  assert.equal(total.length, 1, 'v8js_memory_heap_space_size_bytes is stored');
  assert.ok(Number(total[0].value[1]) >= Number(heap[0].value[1]), 'heap total >= heap used');
  const lag = await query(`nodejs_eventloop_delay_p99_seconds{job="${SERVICE}"}`);
  assert.equal(lag.length, 1, 'nodejs_eventloop_delay_p99_seconds is stored');
  assert.ok(Number(lag[0].value[1]) > 0 && Number(lag[0].value[1]) < 5, 'event-loop delay in seconds');
  const elu = await query(`nodejs_eventloop_utilization_ratio{job="${SERVICE}"}`);
  assert.equal(elu.length, 1, 'nodejs_eventloop_utilization_ratio is stored');
  assert.ok(Number(elu[0].value[1]) >= 0 && Number(elu[0].value[1]) <= 1, 'event-loop utilisation is a ratio');
  const gc = await query(`sum(v8js_gc_duration_seconds_count{job="${SERVICE}"})`);
  assert.ok(Number(gc[0]?.value[1]) > 0, 'garbage collections are counted');
});

test('with perfwatch down the app starts, serves and stops within the shutdown timeout', async () => {
  const closed = await freePort();  // nothing listens there
  const app = await startApp({ PERFWATCH_ENDPOINT: `http://127.0.0.1:${closed}` });
  const r = await fetch(`${app.base}/products/3`);
  assert.equal(r.status, 200);
  assert.equal((await r.json()).name, 'Burr grinder');
  const stopped = await app.stop();
  assert.equal(stopped.code, 0, `the app exits 0 after SIGTERM: ${stopped.stderr}`);
  assert.ok(stopped.ms < 9000, `stopped in ${stopped.ms} ms (shutdown timeout 5 s, plus a margin for a loaded machine)`);
  assert.match(stopped.stderr, /@perfwatch\/node: .*127\.0\.0\.1:/, 'the lost export is reported once, on stderr');
  assert.doesNotMatch(stopped.stderr, /\n\s+at /, 'no stack trace (nothing was thrown)');
});
