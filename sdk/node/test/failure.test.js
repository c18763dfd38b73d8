// A receiver that refuses (401, as perfwatch does without a token): start() does not
// throw, onExportError hears about it, shutdown() resolves.
'use strict';
const assert = require('node:assert/strict');
const http = require('node:http');
const { test } = require('node:test');

test('export failures go to onExportError; nothing throws', async () => {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"status":"error","errorType":"unauthorized","error":"missing token"}');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const errors = [];
  try {
    const pw = require('..').start({
      service: 'unit-fail', endpoint: `http://127.0.0.1:${server.address().port}`, onExportError: (e, signal) => errors.push(signal),
    });
    require('@opentelemetry/api').trace.getTracer('unit').startSpan('x').end();
    await pw.flush();
    await pw.shutdown();
  } finally {
    server.close();
  }
  assert.ok(errors.includes('traces'), `traces failure reported: ${errors}`);
  assert.ok(errors.includes('metrics'), `metrics failure reported: ${errors}`);
});
