import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { useNetworkProfiler } from '../src/index';
import { profile } from '../src/network';
import { emit, record, reset } from './fake-rum';
import { act, renderHook, settle } from './helpers';

const ORIGIN = 'https://shop.example';
/** A PerformanceResourceTiming-like entry. */
function entry(name: string, o: Record<string, any> = {}) {
  const start = o.start ?? 10;
  const dur = o.dur ?? 50;
  return {
    name, initiatorType: o.initiator ?? 'script', startTime: start, duration: dur,
    domainLookupStart: start, domainLookupEnd: start, connectStart: start, connectEnd: start, secureConnectionStart: 0,
    requestStart: start, responseStart: start + dur / 2, responseEnd: start + dur,
    transferSize: o.transfer ?? 2000, encodedBodySize: o.encoded ?? 1700, decodedBodySize: o.decoded ?? 5000,
    nextHopProtocol: 'h2', renderBlockingStatus: o.blocking ? 'blocking' : 'non-blocking',
  };
}
const clean = (u: string) => u;

test('profile: the findings one page view shows, budgets first', () => {
  const list = [
    entry(`${ORIGIN}/app.css`, { initiator: 'link', blocking: true, dur: 120 }),
    entry(`${ORIGIN}/vendor.js`, { encoded: 90_000, decoded: 90_000, transfer: 90_300 }),
    entry(`${ORIGIN}/hero.jpg`, { initiator: 'img', start: 400, dur: 1400, decoded: 800_000, encoded: 800_000, transfer: 800_300 }),
    entry(`${ORIGIN}/api/cart.json`, { initiator: 'fetch', encoded: 3000, decoded: 3000, transfer: 3300 }),
  ].map((e) => record(e as any, ORIGIN, clean));
  const p = profile(list, 300, 1900, `${ORIGIN}/hero.jpg`, { resourceCountBudget: 3, criticalPathBudget: 1500 });
  const kinds = p.bottlenecks.map((b) => `${b.kind} ${b.url ?? ''}`.trim());
  assert.deepEqual(kinds, [
    'over_budget_critical_path',
    'over_budget_resources',
    `render_blocking ${ORIGIN}/app.css`,
    `uncompressed_text ${ORIGIN}/vendor.js`,
    `oversized_image ${ORIGIN}/hero.jpg`,
    `lcp_not_preloaded ${ORIGIN}/hero.jpg`,
    `slow_resource ${ORIGIN}/hero.jpg`,
    `uncompressed_text ${ORIGIN}/api/cart.json`,
  ]);
  assert.equal(p.bottlenecks[0].value, 1800);
  assert.equal(p.bottlenecks[0].severity, 'critical');
  assert.equal(p.criticalPath, 1800);
  assert.equal(p.resources, 4);
  assert.equal(p.transferBytes, 2000 + 90_300 + 800_300 + 3300);
  assert.equal(p.slowest[0].u, `${ORIGIN}/hero.jpg`);
  assert.equal(p.summary!.byType.script.n, 1);
  assert.equal(p.summary!.blocking, 1);
});

test('profile: a lean page has no bottleneck', () => {
  const list = [entry(`${ORIGIN}/a.js`), entry(`${ORIGIN}/b.css`, { initiator: 'link' })].map((e) => record(e as any, ORIGIN, clean));
  assert.deepEqual(profile(list).bottlenecks, []);
});

let saved: any;
beforeEach(() => {
  reset();
  saved = performance.getEntriesByType;
  (globalThis as any).location = { origin: ORIGIN, pathname: '/cart' };
});
afterEach(() => {
  performance.getEntriesByType = saved;
  delete (globalThis as any).location;
});

test('useNetworkProfiler reads the resource timeline, leaving out the beacons', async () => {
  const entries = [entry(`${ORIGIN}/app.js`, { dur: 1500 }), entry(`${ORIGIN}/api/rum`, { initiator: 'beacon' })];
  performance.getEntriesByType = ((t: string) => (t == 'resource' ? entries : [])) as any;
  const h = await renderHook(() => useNetworkProfiler());
  assert.equal(h.current.resources, 1);
  assert.deepEqual(h.current.bottlenecks.map((b) => b.kind), ['slow_resource']);
  entries.push(entry(`${ORIGIN}/late.css`, { initiator: 'link', blocking: true }));
  await act(async () => emit({ type: 'vital', name: 'LCP', value: 900, attribution: {} }));
  await act(async () => new Promise((r) => setTimeout(r, 350)));
  assert.equal(h.current.resources, 2);
  assert.ok(h.current.bottlenecks.some((b) => b.kind == 'render_blocking'));
  h.renderer.unmount();
});
