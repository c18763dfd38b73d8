import assert from 'node:assert/strict';
import { test } from 'node:test';
import { patch, serverTrace, traceparent, tracedUrl, type Traced } from '../src/trace';

const PAGE = 'https://shop.example/cart?x=1';
const TP = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

test('traceparent: version 00, random ids, sampled', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const v = traceparent();
    const m = TP.exec(v);
    assert.ok(m, v);
    assert.notEqual(m[1], '0'.repeat(32));
    assert.notEqual(m[2], '0'.repeat(16));
    seen.add(m[1]).add(m[2]);
  }
  assert.equal(seen.size, 400, 'no id repeats');
});

test('tracedUrl: same origin and the listed origins only', () => {
  const on = true;
  assert.equal(tracedUrl('/api/cart?id=3', PAGE, on)?.pathname, '/api/cart');
  assert.equal(tracedUrl('api/x', PAGE, on)?.pathname, '/api/x');
  assert.ok(tracedUrl('https://shop.example/a', PAGE, on));
  assert.equal(tracedUrl('https://shop.example:8443/a', PAGE, on), undefined, 'other port');
  assert.equal(tracedUrl('http://shop.example/a', PAGE, on), undefined, 'other scheme');
  assert.equal(tracedUrl('https://cdn.example/a', PAGE, on), undefined);
  assert.equal(tracedUrl('/a', PAGE, false), undefined, 'off');
  assert.equal(tracedUrl('/a', PAGE, undefined), undefined, 'off by default');
  const opt = { origins: ['https://api.shop.example', 'http://127.0.0.1:8080/ignored/path'] };
  assert.equal(tracedUrl('https://api.shop.example/v1/x', PAGE, opt)?.pathname, '/v1/x');
  assert.ok(tracedUrl('http://127.0.0.1:8080/y', PAGE, opt));
  assert.ok(tracedUrl('/same', PAGE, opt), 'same origin stays on');
  assert.equal(tracedUrl('https://evil.example/v1/x', PAGE, opt), undefined);
  assert.equal(tracedUrl('http://[bad', PAGE, on), undefined, 'bad URL');
  // <base href> on another origin: relative URLs go there, so they are not same-origin.
  assert.equal(tracedUrl('/a', 'https://cdn.example/app/', on, 'https://shop.example'), undefined);
  assert.equal(tracedUrl('https://shop.example/a', 'https://cdn.example/app/', on, 'https://shop.example')?.pathname, '/a');
  // A malformed entry resolves against the page (harmless) and spoils no other entry.
  const odd = { origins: ['not a url', 'https://api.example'] };
  assert.ok(tracedUrl('https://api.example/a', PAGE, odd));
  assert.equal(tracedUrl('https://b.example/a', PAGE, odd), undefined);
});

test('serverTrace: the traceparent Server-Timing entry', () => {
  const id = '4bf92f3577b34da6a3ce929d0e0e4736';
  const span = '00f067aa0ba902b7';
  assert.deepEqual(
    serverTrace([{ name: 'db', description: '' }, { name: 'traceparent', description: `00-${id}-${span}-01` }]),
    [id, span],
  );
  assert.equal(serverTrace([{ name: 'traceparent', description: `01-${id}-${span}-01` }]), undefined);
  assert.equal(serverTrace([{ name: 'traceparent', description: 'garbage' }]), undefined);
  assert.equal(serverTrace([]), undefined);
  assert.equal(serverTrace(undefined), undefined);
});

/** A window with a recording fetch and XMLHttpRequest. */
function fakeWindow() {
  const sent: { url: string; headers: Headers; body?: unknown }[] = [];
  class XHR {
    url = '';
    headers = new Headers();
    listeners: Record<string, (() => void)[]> = {};
    open(_m: string, url: string) {
      this.url = url;
    }
    setRequestHeader(n: string, v: string) {
      this.headers.append(n, v);
    }
    addEventListener(type: string, cb: () => void) {
      (this.listeners[type] ||= []).push(cb);
    }
    send(body?: unknown) {
      sent.push({ url: this.url, headers: this.headers, body });
      setTimeout(() => (this.listeners.loadend || []).splice(0).forEach((f) => f()), 5);
    }
  }
  const w: any = {
    XMLHttpRequest: XHR,
    fetch(input: any, init?: any) {
      // (node has no page URL to resolve relative ones against)
      const r = new Request(typeof input == 'string' ? new URL(input, PAGE) : input, init);
      sent.push({ url: r.url, headers: r.headers });
      return new Promise((res) => setTimeout(() => res(new Response('ok')), 5));
    },
  };
  return { w, sent, XHR };
}

function patched(opt: any = true) {
  const f = fakeWindow();
  const traced: Traced[] = [];
  patch(f.w, (u) => tracedUrl(u, PAGE, opt), (t) => traced.push(t));
  return { ...f, traced };
}

test('fetch: same-origin requests get a traceparent, recorded with path and duration', async () => {
  const { w, sent, traced } = patched();
  const r = await w.fetch('/api/users/7?secret=1', { headers: { accept: 'application/json' } });
  assert.equal(await r.text(), 'ok');
  await w.fetch(new URL('https://shop.example/api/orders'), { method: 'POST', body: 'x' });
  await w.fetch(new Request('https://shop.example/api/req', { headers: { 'x-a': '1' } }));
  assert.equal(sent.length, 3);
  assert.equal(traced.length, 3);
  for (let i = 0; i < 3; i++) {
    const m = TP.exec(sent[i].headers.get('traceparent') || '');
    assert.ok(m, `request ${i}: ${sent[i].headers.get('traceparent')}`);
    assert.equal(traced[i].t, m[1]);
    assert.ok(traced[i].d! >= 0, `duration ${traced[i].d}`);
  }
  assert.deepEqual(traced.map((t) => t.u), ['/api/users/7', '/api/orders', '/api/req']);
  assert.equal(sent[0].headers.get('accept'), 'application/json', 'own headers kept');
  assert.equal(sent[2].headers.get('x-a'), '1', 'a Request keeps its headers');
});

test('fetch: other origins and requests with a traceparent are left alone', async () => {
  const { w, sent, traced } = patched();
  const own = '00-11111111111111111111111111111111-2222222222222222-00';
  await w.fetch('https://cdn.example/lib.js');
  await w.fetch('/api/x', { headers: { traceparent: own } });
  await w.fetch(new Request('https://shop.example/api/y', { headers: { TraceParent: own } }));
  assert.equal(sent[0].headers.get('traceparent'), null, 'never cross-origin');
  assert.equal(sent[1].headers.get('traceparent'), own);
  assert.equal(sent[2].headers.get('traceparent'), own);
  assert.equal(traced.length, 0);
});

test('fetch: a configured origin is traced, a failing request still gets a duration', async () => {
  const f = fakeWindow();
  f.w.fetch = (input: any, init?: any) => {
    f.sent.push({ url: String(input), headers: new Headers(init?.headers) });
    return Promise.reject(new TypeError('network'));
  };
  const traced: Traced[] = [];
  patch(f.w, (u) => tracedUrl(u, PAGE, { origins: ['https://api.example'] }), (t) => traced.push(t));
  await assert.rejects(f.w.fetch('https://api.example/v1/pay'), /network/);
  assert.match(f.sent[0].headers.get('traceparent')!, TP);
  assert.equal(traced[0].u, '/v1/pay');
  assert.ok(traced[0].d! >= 0);
});

test('XMLHttpRequest: same origin traced, others and own traceparent left alone', async () => {
  const { XHR, sent, traced } = patched();
  const a: any = new XHR();
  a.open('GET', '/api/xhr?q=1');
  a.send();
  const b: any = new XHR();
  b.open('GET', 'https://other.example/api');
  b.send();
  const c: any = new XHR();
  c.open('POST', '/api/own');
  c.setRequestHeader('TraceParent', 'mine');
  c.send('body');
  // The same object reused for a second request is traced afresh.
  a.open('GET', '/api/again');
  a.headers = new Headers();
  a.send();
  await new Promise((r) => setTimeout(r, 20));
  assert.match(sent[0].headers.get('traceparent')!, TP);
  assert.equal(sent[1].headers.get('traceparent'), null);
  assert.equal(sent[2].headers.get('traceparent'), 'mine', 'not added twice');
  assert.equal(sent[2].body, 'body');
  assert.match(sent[3].headers.get('traceparent')!, TP);
  assert.deepEqual(traced.map((t) => t.u), ['/api/xhr', '/api/again']);
  assert.equal(traced[0].t, TP.exec(sent[0].headers.get('traceparent')!)![1]);
  assert.ok(traced.every((t) => t.d! >= 0), JSON.stringify(traced));
});
