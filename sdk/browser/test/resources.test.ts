import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kind, pick, record, summarize, type ResourceLike, type Res } from '../src/resources';
import { stripUrl } from '../src/url';

const ORIGIN = 'https://shop.example';
const clean = (u: string) => stripUrl(u);

/** A fake PerformanceResourceTiming: a TLS connection, times in ms. */
function entry(over: Partial<ResourceLike>): ResourceLike {
  return {
    name: ORIGIN + '/app.js?v=1',
    initiatorType: 'script',
    startTime: 100,
    duration: 250,
    domainLookupStart: 100,
    domainLookupEnd: 110,
    connectStart: 110,
    secureConnectionStart: 130,
    connectEnd: 160,
    requestStart: 160,
    responseStart: 300,
    responseEnd: 350,
    transferSize: 1300,
    encodedBodySize: 1000,
    decodedBodySize: 4000,
    nextHopProtocol: 'h2',
    renderBlockingStatus: 'non-blocking',
    ...over,
  };
}

test('kind: type from the initiator and the extension', () => {
  assert.equal(kind('script', 'https://a/x'), 'script');
  assert.equal(kind('link', 'https://a/app.mjs?x=1'), 'script');
  assert.equal(kind('link', 'https://a/site.css'), 'css');
  assert.equal(kind('css', 'https://a/hero.WEBP'), 'img');
  assert.equal(kind('img', 'https://a/pixel'), 'img');
  assert.equal(kind('css', 'https://a/f.woff2#x'), 'font');
  assert.equal(kind('fetch', 'https://a/data.js'), 'fetch');
  assert.equal(kind('xmlhttprequest', 'https://a/api'), 'fetch');
  assert.equal(kind('link', 'https://a/manifest'), 'other');
});

test('record: phases, sizes, query stripped, flags only when set', () => {
  const r = record(entry({}), ORIGIN, clean);
  assert.deepEqual(r, {
    u: ORIGIN + '/app.js', i: 'script', t: 'script', s: 100, d: 250,
    dns: 10, tcp: 20, tls: 30, req: 140, res: 50,
    z: 1300, e: 1000, b: 4000, p: 'h2',
  });
  const b = record(entry({ renderBlockingStatus: 'blocking', name: 'https://cdn.example/a.css', initiatorType: 'link' }), ORIGIN, clean);
  assert.equal(b.rb, 1);
  assert.equal(b.tp, 1);
  assert.equal(b.t, 'css');
  // No TLS: the whole connect is tcp.
  const plain = record(entry({ secureConnectionStart: 0 }), ORIGIN, clean);
  assert.equal(plain.tcp, 50);
  assert.equal(plain.tls, 0);
  // Cross-origin without Timing-Allow-Origin: zeros, never negative.
  const opaque = record(entry({ domainLookupStart: 0, domainLookupEnd: 0, connectStart: 0, connectEnd: 0,
    secureConnectionStart: 0, requestStart: 0, responseStart: 0, transferSize: 0, encodedBodySize: 0,
    decodedBodySize: 0, nextHopProtocol: '' }), ORIGIN, clean);
  assert.deepEqual([opaque.dns, opaque.tcp, opaque.tls, opaque.req, opaque.res, opaque.c], [0, 0, 0, 0, 0, undefined]);
});

test('record: cache hits (memory/disk cache, revalidated 304), not misses', () => {
  assert.equal(record(entry({ transferSize: 0 }), ORIGIN, clean).c, 1);
  assert.equal(record(entry({ transferSize: 300, encodedBodySize: 5000 }), ORIGIN, clean).c, 1);
  assert.equal(record(entry({}), ORIGIN, clean).c, undefined);
});

test('summarize: totals by type and party, hits, protocols, blocking, before FCP/LCP', () => {
  const list = [
    record(entry({ startTime: 10, duration: 90 }), ORIGIN, clean),  // ends 100
    record(entry({ name: ORIGIN + '/a.css', initiatorType: 'link', renderBlockingStatus: 'blocking', startTime: 10, duration: 190, transferSize: 0 }), ORIGIN, clean),  // 200
    record(entry({ name: 'https://cdn.example/hero.jpg', initiatorType: 'img', startTime: 100, duration: 900, nextHopProtocol: 'h3' }), ORIGIN, clean),  // 1000
    record(entry({ name: ORIGIN + '/api', initiatorType: 'fetch', startTime: 1500, duration: 100, nextHopProtocol: 'http/1.1' }), ORIGIN, clean),
  ];
  const s = summarize(list, 150, 1000);
  assert.deepEqual(s.byType.script, { n: 1, transfer: 1300, encoded: 1000, decoded: 4000 });
  assert.deepEqual(s.byType.css, { n: 1, transfer: 0, encoded: 1000, decoded: 4000 });
  assert.equal(s.byType.img.n, 1);
  assert.equal(s.byType.fetch.n, 1);
  assert.equal(s.byType.font, undefined);
  assert.deepEqual(s.firstParty, { n: 3, transfer: 2600, encoded: 3000, decoded: 12000 });
  assert.deepEqual(s.thirdParty, { n: 1, transfer: 1300, encoded: 1000, decoded: 4000 });
  assert.equal(s.cacheHits, 1);
  assert.deepEqual(s.protocols, { h2: 2, h3: 1, 'http/1.1': 1 });
  assert.equal(s.blocking, 1);
  assert.equal(s.beforeFcp, 1);
  assert.equal(s.beforeLcp, 3);
  // FCP / LCP unknown yet: nothing counted before them.
  const u = summarize(list);
  assert.equal(u.beforeFcp + u.beforeLcp, 0);
  assert.equal(summarize([]).firstParty.n, 0);
});

test('pick: the N slowest, slowest first, plus the LCP resource marked', () => {
  const list: Res[] = [5, 50, 20, 40, 10].map((d, k) => ({ ...record(entry({ duration: d }), ORIGIN, clean), u: '/r' + k }));
  assert.deepEqual(pick(list, 2).map((r) => r.u), ['/r1', '/r3']);
  const withLcp = pick(list, 2, '/r0');
  assert.deepEqual(withLcp.map((r) => [r.u, r.lcp]), [['/r1', undefined], ['/r3', undefined], ['/r0', 1]]);
  // Already among the slowest: marked in place, not listed twice.
  assert.deepEqual(pick(list, 2, '/r3').map((r) => [r.u, r.lcp]), [['/r1', undefined], ['/r3', 1]]);
  assert.equal(list[0].lcp, undefined, 'the page view list is left unchanged');
  assert.equal(pick(list, 2, '/missing').length, 2);
});
