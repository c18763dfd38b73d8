import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { budgetStatus, measure, usePerformanceMonitor } from '../src/index';
import { emit, reset, state, subscribers } from './fake-rum';
import { act, renderHook } from './helpers';

beforeEach(reset);

const vital = (name: string, value: number, pageViewId = 'pv1', extra = {}) =>
  ({ type: 'vital', name, value, rating: value > 2500 ? 'poor' : 'good', delta: value, id: 'v-' + name, pageViewId, ...extra });

test('the provider starts the SDK with its props; the server gives the endpoint', async () => {
  await renderHook(() => 0, { app: 'shop', server: 'http://pw:9090', sampleRate: 0.5 });
  assert.equal(state.inits.length, 1);
  assert.equal(state.inits[0].app, 'shop');
  assert.equal(state.inits[0].endpoint, 'http://pw:9090/api/rum');
  assert.equal(state.inits[0].sampleRate, 0.5);
  reset();
  await renderHook(() => 0, { app: 'shop', endpoint: '/collect' });
  assert.equal(state.inits[0].endpoint, '/collect');
});

test('vitals as they arrive, with rating and attribution; a new page view starts afresh', async () => {
  const h = await renderHook(() => usePerformanceMonitor(), {
    app: 'shop',
    budgets: { lcp: { budget: 2500, alertThreshold: 3000 }, CLS: 0.1, checkout: 500, INP: 200 },
  });
  assert.equal(h.current.active, true);
  assert.deepEqual(h.current.vitals, {});
  await act(async () => {
    emit(vital('LCP', 2800, 'pv1', { attribution: { element: 'img#hero', url: '/hero.jpg' } }));
    emit(vital('CLS', 0.05));
    emit({ type: 'measure', name: 'checkout', value: 620, pageViewId: 'pv1' });
    emit({ type: 'long-task', name: 'long-task', value: 80, pageViewId: 'pv1' });
  });
  const v = h.current.vitals;
  assert.equal(h.current.pageViewId, 'pv1');
  assert.equal(v.LCP.value, 2800);
  assert.equal(v.LCP.rating, 'poor');
  assert.deepEqual(v.LCP.attribution, { element: 'img#hero', url: '/hero.jpg' });
  assert.equal(v.CLS.value, 0.05);
  assert.deepEqual(h.current.measures.map((m) => [m.name, m.value]), [['checkout', 620]]);
  assert.equal(h.current.budgets.lcp.status, 'over');
  assert.equal(h.current.budgets.CLS.status, 'within');
  assert.equal(h.current.budgets.checkout.status, 'over');
  assert.equal(h.current.budgets.INP, undefined, 'no INP yet: no status');
  await act(async () => emit(vital('LCP', 3200)));
  assert.equal(h.current.budgets.lcp.status, 'alert');
  await act(async () => emit(vital('TTFB', 90, 'pv2')));
  assert.deepEqual(Object.keys(h.current.vitals), ['TTFB']);
  assert.equal(h.current.pageViewId, 'pv2');
});

test('budgetStatus: within, over, over the alert threshold', () => {
  assert.equal(budgetStatus(100, 100).status, 'within');
  assert.equal(budgetStatus(101, 100).status, 'over');
  assert.equal(budgetStatus(151, { budget: 100, alertThreshold: 150 }).status, 'alert');
  assert.equal(budgetStatus(150, { budget: 100, alertThreshold: 150 }).status, 'over');
});

test('sampled out: no subscription, no measures, measure() still runs the function', async () => {
  state.sampled = false;
  const h = await renderHook(() => usePerformanceMonitor());
  assert.equal(h.current.active, false);
  assert.equal(subscribers(), 0);
  performance.clearMeasures();
  assert.equal(h.current.measure('m-out', () => 7), 7);
  assert.equal(performance.getEntriesByName('m-out', 'measure').length, 0);
});

test('measure() records sync, async and throwing work as performance measures', async () => {
  performance.clearMeasures();
  assert.equal(measure('m-sync', () => 42), 42);
  assert.equal(await measure('m-async', () => new Promise((r) => setTimeout(() => r('ok'), 5))), 'ok');
  assert.throws(() => measure('m-throw', () => { throw new Error('boom'); }), /boom/);
  for (const n of ['m-sync', 'm-async', 'm-throw']) assert.equal(performance.getEntriesByName(n, 'measure').length, 1, n);
  assert.ok(performance.getEntriesByName('m-async', 'measure')[0].duration >= 4);
});
