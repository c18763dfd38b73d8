import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { useAlertManager, usePerformanceScore } from '../src/index';
import { alertEvent } from '../src/alerts';
import { reset, state } from './fake-rum';
import { act, renderHook, settle } from './helpers';

let calls: { url: string; init?: any }[];
let routes: Record<string, (init?: any) => Response>;
const saved = globalThis.fetch;
beforeEach(() => {
  reset();
  calls = [];
  routes = {};
  (globalThis as any).location = { origin: 'https://shop.example', pathname: '/p/1' };
  globalThis.fetch = (async (url: string, init?: any) => {
    calls.push({ url, init });
    const k = Object.keys(routes).find((r) => url.includes(r));
    if (!k) return new Response('{"error":"nope"}', { status: 404 });
    return routes[k](init);
  }) as any;
});
afterEach(() => {
  globalThis.fetch = saved;
  delete (globalThis as any).location;
});

const json = (v: unknown, status = 200) => new Response(JSON.stringify(v), { status, headers: { 'content-type': 'application/json' } });
const alert = (fp: string, app: string, ack?: object) => ({
  fingerprint: fp, labels: { alertname: 'SlowLCP', app }, annotations: { summary: 'LCP p75 high' },
  startsAt: '2026-12-05T03:00:00Z', status: { state: 'active', ...(ack && { acknowledgement: ack }) },
});

test('alertEvent: an alerts or reset event line, not a data line that mentions one', () => {
  assert.ok(alertEvent('id: 1\nevent: alerts\ndata: {}'));
  assert.ok(alertEvent('event: reset'));
  assert.ok(!alertEvent('event: vitals\ndata: {"event: alerts":1}'));
});

test('useAlertManager: the app\'s alerts, reloaded on stream events, acknowledge() posts', async () => {
  let list = [alert('00000000000000a1', 'shop')];
  let push!: (s: string) => void;
  routes['/api/v2/alerts'] = () => json(list);
  routes['/api/v1/stream'] = () =>
    new Response(new ReadableStream({ start(c) { push = (s) => c.enqueue(new TextEncoder().encode(s)); push(': connected\n\n'); } }));
  routes['/ack'] = (init) => json({ fingerprint: '00000000000000a2', comment: JSON.parse(init.body).comment });
  const h = await renderHook(() => useAlertManager({ server: 'http://pw', token: 'T' }), { app: 'shop' });
  await settle();
  assert.equal(h.current.connected, true);
  assert.deepEqual(h.current.firing.map((a) => a.fingerprint), ['00000000000000a1']);
  const stream = calls.find((c) => c.url.includes('/api/v1/stream'))!;
  assert.equal(stream.url, 'http://pw/api/v1/stream?types=alerts');
  assert.equal(stream.init.headers.authorization, 'Bearer T');

  list = [alert('00000000000000a1', 'shop'), alert('00000000000000a2', 'shop'), alert('00000000000000b1', 'other')];
  await act(async () => { push('id: 7\nevent: vit'); });
  await settle();
  assert.equal(h.current.alerts.length, 1, 'no complete alerts event yet');
  await act(async () => { push('als\ndata: {}\n\nid: 8\nevent: alerts\ndata: {"state":"firing"}\n\n'); });
  await settle();
  assert.deepEqual(h.current.alerts.map((a) => a.fingerprint), ['00000000000000a1', '00000000000000a2']);

  list = [alert('00000000000000a1', 'shop'), alert('00000000000000a2', 'shop', { acknowledgedBy: 'T', comment: 'on it' })];
  let ack: any;
  await act(async () => { ack = await h.current.acknowledge('00000000000000a2', 'on it'); });
  assert.equal(ack.comment, 'on it');
  const post = calls.find((c) => c.url.endsWith('/ack'))!;
  assert.equal(post.url, 'http://pw/api/v1/alerts/00000000000000a2/ack');
  assert.equal(post.init.method, 'POST');
  assert.equal(post.init.headers.authorization, 'Bearer T');
  assert.deepEqual(JSON.parse(post.init.body), { comment: 'on it' });
  assert.equal(h.current.alerts[1].status.acknowledgement?.comment, 'on it');
  h.renderer.unmount();
});

test('useAlertManager: a failed acknowledgement rejects with the server\'s error', async () => {
  routes['/api/v2/alerts'] = () => json([]);
  routes['/api/v1/stream'] = () => new Response(new ReadableStream({}));
  routes['/ack'] = () => json({ status: 'error', errorType: 'not_found', error: 'alert not found' }, 404);
  const h = await renderHook(() => useAlertManager());
  await settle();
  await assert.rejects(h.current.acknowledge('00000000000000ff', 'x'), /alert not found/);
  h.renderer.unmount();
});

test('usePerformanceScore: the app\'s score and this page\'s', async () => {
  routes['/api/v1/score'] = () =>
    json({ status: 'success', data: { score: 76.33, views: 4, pages: [{ page: '/', score: 70, views: 2, opportunity: 15 }, { page: '/p/1', score: 82.67, views: 2, opportunity: 8.67 }] } });
  const h = await renderHook(() => usePerformanceScore({ window: '1h' }), { app: 'shop & co', server: 'http://pw', token: 'T' });
  await settle();
  assert.equal(h.current.score, 76.33);
  assert.equal(h.current.views, 4);
  assert.equal(h.current.page?.score, 82.67);
  assert.equal(calls[0].url, 'http://pw/api/v1/score?by=page&window=1h&app=shop%20%26%20co');
  assert.equal(calls[0].init.headers.authorization, 'Bearer T');
  h.renderer.unmount();
});

test('the server hooks work in a session sampled out (they measure nothing)', async () => {
  state.sampled = false;
  routes['/api/v1/score'] = () => json({ status: 'success', data: { score: null, views: 0, pages: [] } });
  const h = await renderHook(() => usePerformanceScore());
  await settle();
  assert.equal(h.current.score, null);
  assert.equal(h.current.error, undefined);
  h.renderer.unmount();
});
