import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import TestRenderer from 'react-test-renderer';
import { PerfwatchProvider, useInteractionTracking, useRenderTracking, useUserJourney } from '../src/index';
import { reset, state } from './fake-rum';
import { act, renderHook } from './helpers';

beforeEach(() => {
  reset();
  performance.clearMeasures();
});

test('useRenderTracking measures the mount, and updates only when slow', async () => {
  let busy = 0;
  function List(_: { n: number }) {
    useRenderTracking('List', 16);
    const end = performance.now() + busy;
    while (performance.now() < end) {}
    return null;
  }
  const tree = (n: number) => (
    <PerfwatchProvider app="shop">
      <List n={n} />
    </PerfwatchProvider>
  );
  let r: any;
  await act(async () => { r = TestRenderer.create(tree(1)); });
  assert.equal(performance.getEntriesByName('render:List', 'measure').length, 1, 'the mount');
  await act(async () => r.update(tree(2)));
  assert.equal(performance.getEntriesByName('render:List', 'measure').length, 1, 'a fast update is not sent');
  busy = 20;
  await act(async () => r.update(tree(3)));
  const m = performance.getEntriesByName('render:List', 'measure');
  assert.equal(m.length, 2, 'a slow update is');
  assert.ok(m[1].duration >= 16, String(m[1].duration));
});

test('useRenderTracking does nothing when sampled out', async () => {
  state.sampled = false;
  await renderHook(() => useRenderTracking('Off'));
  assert.equal(performance.getEntriesByName('render:Off', 'measure').length, 0);
});

test('useInteractionTracking wraps a handler', async () => {
  const h = await renderHook(() => useInteractionTracking('add-to-cart'));
  const f = h.current.track((a: number, b: number) => a + b);
  assert.equal(f(2, 3), 5);
  assert.equal(performance.getEntriesByName('interaction:add-to-cart', 'measure').length, 1);
});

test('useUserJourney drives the SDK\'s journey; inert before start and when sampled out', async () => {
  const h = await renderHook(() => useUserJourney('checkout'));
  h.current.step('early');
  h.current.start({ target: 30000 });
  h.current.step('cart');
  h.current.complete();
  h.current.complete();
  assert.deepEqual(state.journeys, ['start checkout 30000', 'step checkout cart', 'complete checkout']);
  reset();
  state.sampled = false;
  const h2 = await renderHook(() => useUserJourney('checkout'));
  h2.current.start();
  h2.current.fail('x');
  assert.deepEqual(state.journeys, []);
});
