// Server rendering under plain Node (no window, no document): every hook renders its
// initial state, nothing touches the browser, and the real browser SDK does not start.
// Runs the built package (dist/index.js) with the real @perfwatch/rum.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createElement as h } from 'react';
import { renderToString } from 'react-dom/server';
import { isSampledIn } from '@perfwatch/rum';
import * as pw from '../dist/index.js';

test('renderToString with every hook: initial state, no window access, the SDK not started', () => {
  assert.equal(typeof window, 'undefined');
  assert.equal(typeof document, 'undefined');
  function Page() {
    const m = pw.usePerformanceMonitor();
    const mem = pw.useMemoryProfiler({ intervalMs: 1000 });
    const net = pw.useNetworkProfiler();
    const al = pw.useAlertManager({ server: 'http://pw', token: 't' });
    const sc = pw.usePerformanceScore();
    pw.useRenderTracking('Page');
    const { track } = pw.useInteractionTracking('buy');
    const j = pw.useUserJourney('checkout');
    j.start();
    const v = track(() => m.measure('ssr-work', () => 3))();
    return h('main', null,
      h('p', null, `active=${m.active} vitals=${Object.keys(m.vitals).length} v=${v}`),
      h('p', null, `heap=${mem.samples.length} leak=${mem.leak ? 'yes' : 'none'}`),
      h('p', null, `resources=${net.resources ?? 0} bottlenecks=${net.bottlenecks.length}`),
      h('p', null, `alerts=${al.alerts.length} score=${sc.score ?? 'none'}`));
  }
  const html = renderToString(h(pw.PerfwatchProvider, { app: 'shop', sampleRate: 1, budgets: { LCP: 2500 } }, h(Page)));
  assert.match(html, /active=false vitals=0 v=3/);
  assert.match(html, /heap=0 leak=none/);
  assert.match(html, /resources=0 bottlenecks=0/);
  assert.match(html, /alerts=0 score=none/);
  assert.equal(isSampledIn(), false, 'the SDK was never initialised');
});
