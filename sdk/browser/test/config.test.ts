import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultEndpoint, fromScript, merge, toRate } from '../src/config';
import { stripUrl } from '../src/url';

const script = (src: string, attrs: Record<string, string> = {}) => ({
  src,
  getAttribute: (n: string) => (n in attrs ? attrs[n] : null),
});

test('default endpoint is the origin rum.js came from', () => {
  assert.equal(defaultEndpoint('https://pw.example:8443/rum.js?v=2'), 'https://pw.example:8443/api/rum');
  assert.equal(defaultEndpoint('http://127.0.0.1:9797/static/rum.js'), 'http://127.0.0.1:9797/api/rum');
  assert.equal(defaultEndpoint(''), '/api/rum');
  assert.equal(defaultEndpoint(undefined), '/api/rum');
});

test('script tag attributes', () => {
  const o = fromScript(
    script('https://pw.example/rum.js', {
      'data-app': 'shop',
      'data-sample-rate': '0.25',
      'data-keep-query-string': '',
    }),
  );
  assert.deepEqual(o, {
    endpoint: 'https://pw.example/api/rum',
    app: 'shop',
    sampleRate: 0.25,
    keepQueryString: true,
    manual: undefined,
    memoryInterval: undefined,
    tracePropagation: undefined,
  });
});

test('data-memory-interval: milliseconds; junk keeps the default', () => {
  assert.equal(fromScript(script('/rum.js', { 'data-memory-interval': '2500' })).memoryInterval, 2500);
  assert.equal(fromScript(script('/rum.js', { 'data-memory-interval': '0' })).memoryInterval, 0);
  assert.equal(fromScript(script('/rum.js', { 'data-memory-interval': 'soon' })).memoryInterval, undefined);
});

test('script tag without attributes uses defaults', () => {
  const o = fromScript(script('https://pw.example/rum.js'));
  assert.equal(o.endpoint, 'https://pw.example/api/rum');
  assert.equal(o.app, undefined);
  assert.equal(o.sampleRate, undefined);
  assert.equal(o.keepQueryString, undefined);
  assert.deepEqual(fromScript(null), {});
});

test('data-endpoint overrides the default; flags accept false', () => {
  const o = fromScript(
    script('https://cdn.example/rum.js', {
      'data-endpoint': 'https://pw.example/api/rum?app=x',
      'data-keep-query-string': 'false',
      'data-manual': 'true',
    }),
  );
  assert.equal(o.endpoint, 'https://pw.example/api/rum?app=x');
  assert.equal(o.keepQueryString, false);
  assert.equal(o.manual, true);
});

test('sample rates are clamped; junk is ignored', () => {
  assert.equal(toRate('0'), 0);
  assert.equal(toRate('1'), 1);
  assert.equal(toRate('0.5'), 0.5);
  assert.equal(toRate('7'), 1);
  assert.equal(toRate('-1'), 0);
  assert.equal(toRate('abc'), undefined);
  assert.equal(toRate(''), undefined);
  assert.equal(toRate(undefined), undefined);
  assert.equal(toRate(0.1), 0.1);
  assert.equal(fromScript(script('x', { 'data-sample-rate': 'half' })).sampleRate, undefined);
});

test('init options override script options, undefined does not', () => {
  const base = { endpoint: 'https://a/api/rum', app: 'shop', sampleRate: 0.25 };
  assert.deepEqual(merge(base, { app: 'blog', sampleRate: undefined, keepQueryString: true }), {
    endpoint: 'https://a/api/rum',
    app: 'blog',
    sampleRate: 0.25,
    keepQueryString: true,
  });
  assert.equal(merge(base, { sampleRate: 3 }).sampleRate, 1);
  assert.deepEqual(merge(base, undefined), base);
  assert.notEqual(merge(base), base, 'returns a copy');
});

test('URLs lose query string and fragment by default', () => {
  assert.equal(stripUrl('https://shop.example/p/42?email=a@b.c&t=1#top'), 'https://shop.example/p/42');
  assert.equal(stripUrl('https://shop.example/p/42#x?y'), 'https://shop.example/p/42');
  assert.equal(stripUrl('https://shop.example/'), 'https://shop.example/');
  assert.equal(stripUrl('https://shop.example/?q=1', true), 'https://shop.example/?q=1');
  assert.equal(stripUrl('https://shop.example/p?q=1#f', false), 'https://shop.example/p');
});
