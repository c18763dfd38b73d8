// resolveEndpoint and start()'s option checks (nothing is started: every case throws first).
'use strict';
const assert = require('node:assert/strict');
const { test } = require('node:test');
const { start, resolveEndpoint, DEFAULT_ENDPOINT } = require('..');

test('resolveEndpoint: option, then $PERFWATCH_ENDPOINT, then the default; /v1/<signal> and slashes stripped', () => {
  const saved = process.env.PERFWATCH_ENDPOINT;
  try {
    delete process.env.PERFWATCH_ENDPOINT;
    assert.equal(resolveEndpoint(), DEFAULT_ENDPOINT);
    assert.equal(DEFAULT_ENDPOINT, 'http://127.0.0.1:9797');
    process.env.PERFWATCH_ENDPOINT = 'https://perfwatch.example:4318/';
    assert.equal(resolveEndpoint(), 'https://perfwatch.example:4318');
    assert.equal(resolveEndpoint('http://10.0.0.5:4318/v1/traces'), 'http://10.0.0.5:4318');
    assert.equal(resolveEndpoint('http://host/perfwatch/'), 'http://host/perfwatch');
  } finally {
    if (saved === undefined) delete process.env.PERFWATCH_ENDPOINT;
    else process.env.PERFWATCH_ENDPOINT = saved;
  }
});

test('bad options throw a TypeError naming the option', () => {
  assert.throws(() => resolveEndpoint('perfwatch:9797'), /must be http:\/\/ or https:\/\//);
  assert.throws(() => resolveEndpoint('not a url'), /is not a URL/);
  assert.throws(() => start({ endpoint: 'ftp://x' }), TypeError);
  assert.throws(() => start({ metricsIntervalMs: 10 }), /metricsIntervalMs/);
  assert.throws(() => start({ compression: 'br' }), /compression/);
  assert.throws(() => start({ shutdownTimeoutMs: -1 }), /shutdownTimeoutMs/);
  assert.throws(() => start('shop'), /wants an object/);
});
