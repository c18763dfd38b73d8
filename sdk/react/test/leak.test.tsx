import assert from 'node:assert/strict';
import { beforeEach, mock, test } from 'node:test';
import { detectLeak, useMemoryProfiler } from '../src/index';
import { normalTail, trend } from '../src/leak';
import { reset, state } from './fake-rum';
import { act, renderHook } from './helpers';

beforeEach(reset);

/**
 * A heap sampled every second for `sec` s: base `mb` MB growing `pct` % of it a minute,
 * plus a GC sawtooth (4 MB of garbage built up over 5 s, then collected) and a
 * deterministic wobble.
 */
function heap(sec: number, pct: number, mb = 20) {
  const t: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < sec; i++) {
    t.push(1_000_000 + i * 1000);
    v.push(mb * 1e6 * (1 + (pct / 100) * (i / 60)) + (i % 5) * 0.8e6 + ((i * 7919) % 13) * 1e4);
  }
  return [t, v];
}

test('Theil–Sen and Mann–Kendall: a clean ramp, a flat series', () => {
  const t = Array.from({ length: 20 }, (_, i) => i * 1000);
  const [slope, p] = trend(t, t.map((x) => 5 + 2 * x));
  assert.equal(slope, 2);
  assert.ok(p < 1e-6, String(p));
  const [s0, p0] = trend(t, t.map(() => 5));
  assert.equal(s0, 0);
  assert.ok(p0 > 0.4);
  assert.ok(Math.abs(normalTail(1.6449) - 0.05) < 2e-4);
  assert.ok(Math.abs(normalTail(0) - 0.5) < 1e-9);
});

test('a heap that stays level under its GC sawtooth is no leak', () => {
  const [t, v] = heap(90, 0);
  const l = detectLeak(t, v);
  assert.equal(l.leaking, false);
  assert.equal(l.severity, 'none');
  assert.ok(Math.abs(l.growthRatioPerMin) < 0.01, String(l.growthRatioPerMin));
});

test('growth after GC is a leak, with the seeds\' severities (5 / 10 / 20 %/min)', () => {
  for (const [pct, sev] of [[3, 'none'], [7, 'medium'], [14, 'high'], [30, 'critical']] as const) {
    const [t, v] = heap(90, pct);
    const l = detectLeak(t, v);
    assert.equal(l.severity, sev, `${pct} %/min: ${JSON.stringify(l)}`);
    assert.equal(l.leaking, sev != 'none');
    if (l.leaking) assert.ok(l.pValue <= 0.01);
  }
  const [t, v] = heap(90, 14);
  const l = detectLeak(t, v);
  // 14 % of 20 MB a minute, measured over the post-GC troughs.
  assert.ok(Math.abs(l.growthBytesPerMin - 2.8e6) < 0.3e6, String(l.growthBytesPerMin));
});

test('a steep rise from a flat start is a leak (the line through it starts below zero)', () => {
  // Flat at 1.4 MB for 30 s, then 30 MB/min (tests/e2e/leak_sdk.test.mjs's page gains
  // 10 MB/min, which its collections' gaps make as steep): the Theil–Sen line over the
  // window starts at -2.1 MB, so the ratio needs the least point as its level.
  const t: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < 60; i++) {
    t.push(1_000_000 + i * 1000);
    v.push(1.4e6 + (i < 30 ? 0 : ((i - 30) / 60) * 30e6) + ((i * 7919) % 13) * 1e3);
  }
  const l = detectLeak(t, v);
  assert.equal(l.leaking, true, JSON.stringify(l));
  assert.equal(l.severity, 'critical');
  assert.ok(l.growthRatioPerMin > 1, String(l.growthRatioPerMin));  // over the least point, 1.4 MB
});

test('too few points: no verdict (20 points at least)', () => {
  const [t, v] = heap(19, 50);
  assert.equal(detectLeak(t, v).leaking, false);
  const [t20, v20] = heap(20, 50);
  assert.equal(detectLeak(t20, v20).leaking, true);
  assert.equal(detectLeak([], []).leaking, false);
});

test('useMemoryProfiler samples performance.memory, finds the leak, recommends', async () => {
  mock.timers.enable({ apis: ['setInterval', 'Date'], now: 1_000_000 });
  let used = 20e6;
  let i = 0;
  const mem = { get usedJSHeapSize() { return used + (i % 5) * 0.8e6; }, totalJSHeapSize: 60e6, jsHeapSizeLimit: 24e6 };
  Object.defineProperty(performance, 'memory', { value: mem, configurable: true });
  try {
    const h = await renderHook(() => useMemoryProfiler({ intervalMs: 1000, warmupMs: 5000 }));
    assert.equal(h.current.samples.length, 1);
    for (; i < 60; i++) {
      used += 20e6 * 0.25 / 60;  // 25 %/min
      await act(async () => mock.timers.tick(1000));
    }
    const p = h.current;
    assert.equal(p.samples.length, 61);
    assert.equal(p.trend, 'growing');
    assert.equal(p.leak?.leaking, true);
    assert.equal(p.leak?.severity, 'critical');
    assert.ok(p.usage! > 0.8);
    assert.equal(p.recommendations.length, 2);
    assert.match(p.recommendations[0], /detached DOM nodes/);
    assert.match(p.recommendations[1], /of its limit/);
  } finally {
    mock.timers.reset();
    delete (performance as any).memory;
  }
});

test('useMemoryProfiler without performance.memory, or sampled out, stays empty', async () => {
  const h = await renderHook(() => useMemoryProfiler());
  assert.deepEqual(h.current.samples, []);
  Object.defineProperty(performance, 'memory', { value: { usedJSHeapSize: 1, jsHeapSizeLimit: 2 }, configurable: true });
  try {
    state.sampled = false;
    const h2 = await renderHook(() => useMemoryProfiler());
    assert.deepEqual(h2.current.samples, []);
  } finally {
    delete (performance as any).memory;
  }
});
