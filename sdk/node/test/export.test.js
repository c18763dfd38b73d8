// start() against a stand-in OTLP receiver: the paths, headers and encoding perfwatch's
// receiver expects (docs/otlp.md), the service name in the resource, only error logs sent.
'use strict';
const assert = require('node:assert/strict');
const http = require('node:http');
const zlib = require('node:zlib');
const { test } = require('node:test');

test('exports traces, metrics and error logs to <endpoint>/v1/* with the bearer token, gzip and protobuf', async () => {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw;
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${server.address().port}`;
  const errors = [];
  try {
    const pw = require('..').start({
      service: 'unit-svc', endpoint, token: 'tok-123', instance: 'unit-1', onExportError: (e, s) => errors.push(`${s}: ${e.message}`),
    });
    assert.equal(pw.endpoint, endpoint);
    assert.equal(pw.service, 'unit-svc');
    const api = require('@opentelemetry/api');
    api.trace.getTracer('unit').startActiveSpan('checkout-span', (span) => span.end());
    const { logs } = require('@opentelemetry/api-logs');
    logs.getLogger('unit').emit({ severityNumber: 9, severityText: 'INFO', body: 'info-record-not-sent' });
    logs.getLogger('unit').emit({ severityNumber: 17, severityText: 'ERROR', body: 'error-record-sent' });
    await pw.shutdown();
    await pw.shutdown();  // idempotent
  } finally {
    server.close();
  }
  assert.deepEqual(errors, []);
  const byPath = (p) => requests.filter((r) => r.url === p);
  for (const path of ['/v1/traces', '/v1/metrics', '/v1/logs']) {
    assert.ok(byPath(path).length >= 1, `a request to ${path}: ${requests.map((r) => r.url)}`);
    for (const r of byPath(path)) {
      assert.equal(r.method, 'POST');
      assert.equal(r.headers.authorization, 'Bearer tok-123');
      assert.equal(r.headers['content-type'], 'application/x-protobuf');
      assert.equal(r.headers['content-encoding'], 'gzip');
      assert.ok(r.body.includes('unit-svc'), `${path}: service.name in the resource`);
      assert.ok(r.body.includes('unit-1'), `${path}: service.instance.id in the resource`);
    }
  }
  assert.ok(byPath('/v1/traces').some((r) => r.body.includes('checkout-span')));
  const logBodies = Buffer.concat(byPath('/v1/logs').map((r) => r.body));
  assert.ok(logBodies.includes('error-record-sent'), 'the ERROR record is sent');
  assert.ok(!logBodies.includes('info-record-not-sent'), 'the INFO record is not (perfwatch would drop it)');
  // The runtime metrics are among the metrics (the leak detector's heap series; event-loop
  // delay needs a longer run and is checked by tests/e2e/node_sdk.test.mjs).
  const metricBodies = Buffer.concat(byPath('/v1/metrics').map((r) => r.body));
  for (const name of ['v8js.memory.heap.used', 'nodejs.eventloop.utilization']) {
    assert.ok(metricBodies.includes(name), `metric ${name} is sent`);
  }
});
